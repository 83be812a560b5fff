"""The documented mapping of each sync state to what NTP and PTP announce."""

import pytest

from firmware.timing.sync_state import UNKNOWN_ERROR_NS, Leap, State, error_text, make_state


@pytest.mark.parametrize(
    ("state", "stratum", "leap", "refid", "clock_class"),
    [
        (State.FREERUN, 16, Leap.ALARM, "INIT", 248),
        (State.LOCKED, 1, Leap.INSERT, "GPS", 6),
        (State.HOLDOVER, 1, Leap.INSERT, "GPS", 7),
        (State.UNSYNC, 16, Leap.ALARM, "LOST", 52),
    ],
)
def test_mapping(state: State, stratum: int, leap: Leap, refid: str, clock_class: int) -> None:
    sync = make_state(state, 1234, Leap.INSERT, Leap.INSERT, 0.5, 0.0, None, 9)
    assert (sync.stratum, sync.leap, sync.refid, sync.ptp_clock_class) == (
        stratum, leap, refid, clock_class,
    )  # fmt: skip
    assert sync.root_dispersion_ns == sync.est_error_ns == 1234
    assert sync.leap_pending is Leap.INSERT


@pytest.mark.parametrize(
    ("value", "shown"),
    [(120, "120 ns"), (0, "0 ns"), (UNKNOWN_ERROR_NS, "unknown"), (None, "unknown")],
)
def test_consoles_show_an_unmeasured_error_as_unknown(value: object, shown: str) -> None:
    assert error_text(value) == shown
