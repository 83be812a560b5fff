"""The timing service plans leaps from leap-seconds.list and warns about its expiry."""

from pathlib import Path

from firmware.base.config.schema import Timing
from firmware.base.events import Event, EventBus
from firmware.timing.discipline import Discipline
from firmware.timing.service import TimingService
from firmware.timing.sync_state import Leap
from sim.clock import SteppedClock
from tests.firmware.timing.test_leapfile import REAL, make, unix

SECOND = 1_000_000_000


def service(tmp_path: Path, text: str, now: int) -> tuple[TimingService, list[Event]]:
    path = tmp_path / "leap-seconds.list"
    path.write_text(text)
    clock = SteppedClock(now * SECOND)
    bus = EventBus(clock)
    seen: list[Event] = []
    bus.subscribe(seen.append)
    settings = Timing(leap_file=str(path))
    return TimingService(settings, Discipline(settings, bus), clock, bus), seen


def test_expired_file_is_reported(tmp_path: Path) -> None:
    timing, seen = service(tmp_path, REAL.read_text(), unix(2026, 11, 26))
    timing.load_leap_file()
    assert [e.kind for e in seen] == ["timing.leap_file_expired"]
    assert "expired 151 days ago" in seen[0].message


def test_file_expiring_within_30_days_is_a_warning(tmp_path: Path) -> None:
    text = make([(unix(2017, 1, 1), 37)], unix(2026, 12, 10))
    timing, seen = service(tmp_path, text, unix(2026, 11, 26))
    timing.load_leap_file()
    assert [e.kind for e in seen] == ["timing.leap_file_expiring"]


def test_a_bad_file_is_ignored_with_an_event(tmp_path: Path) -> None:
    timing, seen = service(tmp_path, "#$ 1\n", unix(2026, 11, 26))
    timing.load_leap_file()
    assert timing.table is None and seen[0].kind == "timing.leap_file_invalid"


def test_leap_at_the_end_of_this_month_is_planned(tmp_path: Path) -> None:
    text = make([(unix(2017, 1, 1), 37), (unix(2027, 1, 1), 38)], unix(2027, 6, 28))
    now = unix(2026, 12, 31, 12)
    timing, seen = service(tmp_path, text, now)
    timing.load_leap_file()
    timing.plan_from_table(now * SECOND)
    state = timing.discipline.sync_state(now * SECOND)
    assert state.leap_pending is Leap.INSERT
    assert timing.status()["leap_at_ns"] == unix(2027, 1, 1) * SECOND
    assert "end of 2026-12-31" in seen[-1].message
    early = unix(2026, 11, 26)
    quiet, _ = service(tmp_path, text, early)
    quiet.load_leap_file()
    quiet.plan_from_table(early * SECOND)
    assert quiet.discipline.sync_state(early * SECOND).leap_pending is Leap.NONE
    assert quiet.status()["leap_at_ns"] is None
