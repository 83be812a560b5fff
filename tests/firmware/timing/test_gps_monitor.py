"""Receiver state changes become events once, and every report is passed on."""

from firmware.base.events import Event, EventBus
from firmware.timing.gps_monitor import GpsMonitor
from hal.gps.types import Antenna, FixMode, LeapWarning, PpsEdge, TimeSample
from sim.clock import SteppedClock


def sample(
    fix: FixMode, antenna: Antenna = Antenna.OK, leap: LeapWarning = LeapWarning.NONE
) -> TimeSample:
    utc = 1_800_000_000 * 10**9 if fix > FixMode.NONE else None
    return TimeSample(utc, 0, fix, 1, 8, (), antenna, leap, None)


def test_transitions_are_events_once() -> None:
    bus = EventBus(SteppedClock(0))
    seen: list[Event] = []
    bus.subscribe(seen.append)
    monitor = GpsMonitor(bus)
    passed: list[object] = []

    class Listener:
        def time_sample(self, s: TimeSample) -> None:
            passed.append(s)

        def pps_edge(self, e: PpsEdge) -> None:
            passed.append(e)

    monitor.listeners.append(Listener())
    for report in [
        sample(FixMode.NONE, Antenna.UNKNOWN),
        sample(FixMode.THREE_D),
        sample(FixMode.THREE_D),
        sample(FixMode.THREE_D, leap=LeapWarning.INSERT),
        sample(FixMode.THREE_D, leap=LeapWarning.INSERT),
        sample(FixMode.NONE, Antenna.OPEN),
        sample(FixMode.NONE, Antenna.OPEN),
        sample(FixMode.THREE_D),
    ]:
        monitor.time_sample(report)
    monitor.pps_edge(PpsEdge(5, 1))
    assert [e.kind for e in seen] == [
        "gps.fix_acquired",
        "gps.leap_announced",
        "gps.fix_lost",
        "gps.antenna_fault",
        "gps.fix_acquired",
        "gps.antenna_ok",
    ]
    assert len(passed) == 9
    status = monitor.status()
    assert status["valid"] and status["antenna"] == "ok" and status["last_pps_ns"] == 5
