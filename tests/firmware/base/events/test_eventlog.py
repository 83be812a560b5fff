"""The event log keeps every event up to its bound, rotating files, never growing past it."""

import io
import json
from pathlib import Path

from firmware.base.events import EventBus, EventLog, Severity, StderrLog
from sim.clock import SteppedClock

START_NS = 1_800_000_000 * 10**9


def test_rotation_keeps_newest_events_within_the_bound(tmp_path: Path) -> None:
    clock = SteppedClock(START_NS)
    bus = EventBus(clock)
    log = EventLog(tmp_path / "events.log", max_bytes=10_000, keep=3)
    bus.subscribe(log)
    for n in range(1000):
        bus.emit("test.tick", Severity.INFO, f"tick {n}", {"n": str(n)})
        clock.step(1)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["events.log", "events.log.1", "events.log.2", "events.log.3"]
    assert all(f.stat().st_size <= 10_000 for f in files)
    kept = [int(e["fields"]["n"]) for e in log.read()]  # type: ignore[index]
    assert kept == list(range(1000 - len(kept), 1000)), "a gap or disorder in the kept events"
    assert len(kept) > 3 * 10_000 // 200


def test_event_line_format(tmp_path: Path) -> None:
    bus = EventBus(SteppedClock(START_NS + 123_456_789))
    log = EventLog(tmp_path / "events.log", max_bytes=10_000, keep=1)
    bus.subscribe(log)
    bus.emit(
        "login.failed",
        Severity.WARNING,
        "login failed",
        {"user": "admin", "source": "192.0.2.9"},
        security=True,
    )
    (line,) = (tmp_path / "events.log").read_text().splitlines()
    assert json.loads(line) == {
        "time": "2027-01-15T08:00:00.123456Z",
        "kind": "login.failed",
        "severity": "warning",
        "message": "login failed",
        "fields": {"user": "admin", "source": "192.0.2.9"},
        "security": True,
    }


def test_stderr_text_and_json(tmp_path: Path) -> None:
    text, lines = io.StringIO(), io.StringIO()
    bus = EventBus(SteppedClock(START_NS))
    bus.subscribe(StderrLog(stream=text))
    bus.subscribe(StderrLog(json_lines=True, stream=lines))
    bus.emit("service.started", Severity.INFO, "ntp started", {"port": "123"})
    assert text.getvalue() == "2027-01-15T08:00:00.000000Z info    ntp started [port=123]\n"
    assert json.loads(lines.getvalue())["message"] == "ntp started"


def test_a_failing_sink_does_not_stop_the_others() -> None:
    bus = EventBus(SteppedClock(START_NS))
    got: list[str] = []

    def broken(_: object) -> None:
        raise OSError("disk full")

    bus.subscribe(broken)  # type: ignore[arg-type]
    bus.subscribe(lambda event: got.append(event.message))
    bus.emit("x", Severity.INFO, "still delivered")
    assert got == ["still delivered"]
    assert bus.sink_failures == 1
