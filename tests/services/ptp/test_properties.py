"""What PTP announces for each sync state, error and leap situation."""

from pathlib import Path

import pytest

from firmware.timing.leapfile import load_leap_file
from firmware.timing.leaps import LeapEvent
from firmware.timing.sync_state import UNKNOWN_ERROR_NS, Leap, State, SyncState, make_state
from services.ptp.messages import ClockQuality, Flag
from services.ptp.properties import clock_accuracy, scaled_log_variance, time_properties

TABLE = load_leap_file(Path(__file__).resolve().parents[2] / "data" / "leap-seconds.list")
SECOND = 10**9
NOW = 1_780_000_000 * SECOND  # 2026, inside the table's validity
TRACEABLE = Flag.TIME_TRACEABLE | Flag.FREQUENCY_TRACEABLE
VALID = Flag.PTP_TIMESCALE | Flag.UTC_OFFSET_VALID


def sync(state: State, error_ns: int = 100, pending: Leap = Leap.NONE) -> SyncState:
    return make_state(state, error_ns, Leap.NONE, pending, 0.0, 0.0, None, 8)


@pytest.mark.parametrize(
    ("state", "clock_class", "flags"),
    [
        (State.LOCKED, 6, VALID | TRACEABLE),
        (State.HOLDOVER, 7, VALID | TRACEABLE),
        (State.UNSYNC, 52, VALID),
        (State.FREERUN, 248, VALID),
    ],
)
def test_clock_class_and_traceability_follow_the_sync_state(
    state: State, clock_class: int, flags: int
) -> None:
    properties = time_properties(sync(state), NOW, TABLE, None)
    assert properties.quality.clock_class == clock_class
    assert properties.flags == flags
    assert (properties.utc_offset, properties.time_source) == (37, 0x20)


@pytest.mark.parametrize(
    ("error_ns", "accuracy"),
    [(1, 0x20), (25, 0x20), (26, 0x21), (100, 0x21), (900, 0x23), (1_500_000, 0x2A),
     (SECOND, 0x2F), (11 * SECOND, 0x31), (UNKNOWN_ERROR_NS, 0xFE)],
)  # fmt: skip
def test_clock_accuracy_is_the_smallest_class_that_holds_the_error(
    error_ns: int, accuracy: int
) -> None:
    assert clock_accuracy(error_ns) == accuracy


def test_variance_grows_with_the_error_and_is_unknown_without_one() -> None:
    values = [scaled_log_variance(e) for e in (10, 100, 1_000, 10**6, SECOND)]
    assert values == sorted(values) and len(set(values)) == len(values)
    # 0x4E5D, what PRTC-class grandmasters announce, is about 34 ns as one standard deviation.
    assert abs(scaled_log_variance(34) - 0x4E5D) <= 8
    assert scaled_log_variance(UNKNOWN_ERROR_NS) == 0xFFFF
    freerun = time_properties(sync(State.FREERUN, UNKNOWN_ERROR_NS), NOW, TABLE, None)
    assert freerun.quality == ClockQuality(248, 0xFE, 0xFFFF)


def test_without_a_leap_table_the_offset_is_37_and_not_valid() -> None:
    properties = time_properties(sync(State.LOCKED), NOW, None, None)
    assert properties.utc_offset == 37
    assert not properties.flags & Flag.UTC_OFFSET_VALID


def test_an_expired_table_is_not_valid_and_an_older_offset_comes_from_the_table() -> None:
    expired = time_properties(sync(State.LOCKED), (TABLE.expires_unix + 1) * SECOND, TABLE, None)
    assert not expired.flags & Flag.UTC_OFFSET_VALID
    in_2010 = time_properties(sync(State.LOCKED), 1_262_304_000 * SECOND, TABLE, None)
    assert in_2010.utc_offset == 34


def test_a_served_leap_the_table_does_not_hold_changes_the_offset_from_that_second_on() -> None:
    rehearsed = LeapEvent(NOW + 3600 * SECOND, +1, NOW + 3600 * SECOND)
    before = time_properties(sync(State.LOCKED), NOW, TABLE, None, [rehearsed])
    after = time_properties(sync(State.LOCKED), NOW + 3601 * SECOND, TABLE, None, [rehearsed])
    assert (before.utc_offset, after.utc_offset) == (37, 38)
    deleted = LeapEvent(NOW + 3600 * SECOND, -1, NOW + 3599 * SECOND)
    assert time_properties(sync(State.LOCKED), NOW + 3600 * SECOND, None, None, [deleted]
                           ).utc_offset == 36  # fmt: skip
    # The table's own leap of 2017 is not counted twice.
    in_table = LeapEvent(1_483_228_800 * SECOND, +1, 1_483_228_836 * SECOND)
    assert time_properties(sync(State.LOCKED), NOW, TABLE, None, [in_table]).utc_offset == 37


@pytest.mark.parametrize(
    ("pending", "before_s", "flag"),
    [
        (Leap.INSERT, 12 * 3600, Flag.LEAP61),
        (Leap.INSERT, 12 * 3600 + 1, 0),
        (Leap.DELETE, 60, Flag.LEAP59),
        (Leap.INSERT, 0, 0),
        (Leap.NONE, 60, 0),
    ],
)
def test_leap_flags_in_the_last_12_hours(pending: Leap, before_s: int, flag: int) -> None:
    leap_at = NOW + before_s * SECOND
    properties = time_properties(sync(State.LOCKED, pending=pending), NOW, TABLE, leap_at)
    assert properties.flags & (Flag.LEAP59 | Flag.LEAP61) == flag
