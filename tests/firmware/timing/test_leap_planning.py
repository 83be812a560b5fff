"""A leap stays planned while the receiver or the leap file announces it, and is withdrawn
while still ahead once neither does; the receiver may name any second (a rehearsal)."""

import datetime

from firmware.base.events import Event, EventBus
from firmware.timing.leap_planning import GPS, LEAP_FILE, LeapPlanner
from firmware.timing.leaps import LeapSchedule
from hal.gps.types import LeapWarning
from sim.clock import SteppedClock

SECOND = 1_000_000_000
NOW = int(datetime.datetime(2026, 11, 28, 14, 0, tzinfo=datetime.UTC).timestamp()) * SECOND
MONTH_END = int(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()) * SECOND
REHEARSAL = NOW + 1800 * SECOND  # 14:30:00, after an inserted 14:29:60


def planner() -> tuple[LeapPlanner, list[Event]]:
    bus = EventBus(SteppedClock(NOW))
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return LeapPlanner(LeapSchedule(), bus), seen


def planned(leaps: LeapPlanner) -> list[tuple[int, int]]:
    return [(e.utc_at_ns, e.sign) for e in leaps.leaps.events]


def test_the_receiver_names_the_second_of_a_rehearsed_leap() -> None:
    leaps, seen = planner()
    leaps.from_gps(LeapWarning.INSERT, NOW, REHEARSAL)
    leaps.from_gps(LeapWarning.INSERT, NOW + SECOND, REHEARSAL)  # said every second: once
    assert planned(leaps) == [(REHEARSAL, 1)]
    assert [e.message for e in seen] == [
        "leap second to be inserted after 2026-11-28 14:29:59 UTC (GPS)"
    ]
    leaps.from_gps(LeapWarning.DELETE, NOW + 2 * SECOND)  # no instant: the end of the month
    assert planned(leaps) == [(MONTH_END, -1)]  # the rehearsal was withdrawn
    assert seen[-1].message == "leap second to be deleted at the end of 2026-11-30 UTC (GPS)"
    assert seen[-2].kind == "timing.leap_withdrawn"


def test_a_leap_neither_source_announces_any_more_is_withdrawn() -> None:
    leaps, seen = planner()
    leaps.from_gps(LeapWarning.INSERT, NOW)
    leaps.announce(LEAP_FILE, (MONTH_END, 1), NOW)
    leaps.from_gps(LeapWarning.NONE, NOW + SECOND)
    assert planned(leaps) == [(MONTH_END, 1)], "the leap file still announces it"
    leaps.announce(LEAP_FILE, None, NOW + 2 * SECOND)
    assert planned(leaps) == []
    assert seen[-1].kind == "timing.leap_withdrawn"
    assert seen[-1].message == (
        "leap second that was to be inserted at the end of 2026-11-30 UTC withdrawn: "
        "leap-seconds.list no longer announces it, nor does anything else"
    )


def test_a_warning_cleared_at_the_leap_itself_withdraws_nothing() -> None:
    leaps, seen = planner()
    leaps.from_gps(LeapWarning.INSERT, NOW, REHEARSAL)
    leaps.from_gps(LeapWarning.NONE, REHEARSAL - SECOND)  # labelled 14:29:60, then cleared
    assert planned(leaps) == [(REHEARSAL, 1)]
    assert [e.kind for e in seen] == ["timing.leap_scheduled"]
    assert leaps.announced == {GPS: None}
