"""Continuous time to served UTC around a leap, rows of (offset from the leap, served)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.timing.leaps import SECOND, LeapSchedule

LEAP = 1_798_761_600 * SECOND  # 2027-01-01T00:00:00Z
MS = 1_000_000


@pytest.mark.parametrize(
    ("continuous", "served"),
    [
        (LEAP - SECOND, LEAP - SECOND),  # 23:59:59.000
        (LEAP - 1, LEAP - 1),
        (LEAP, LEAP),  # 23:59:60.000 is served as 00:00:00.000 ...
        (LEAP + 500 * MS, LEAP),  # ... and held for the whole inserted second
        (LEAP + SECOND, LEAP),  # then time moves on, one second behind the count
        (LEAP + SECOND + 1, LEAP + 1),
        (LEAP + 10 * SECOND, LEAP + 9 * SECOND),
    ],
)
def test_insert(continuous: int, served: int) -> None:
    schedule = LeapSchedule()
    schedule.schedule(LEAP, +1)
    assert schedule.to_utc(continuous) == served


def test_insert_labels_from_the_receiver() -> None:
    schedule = LeapSchedule()
    schedule.schedule(LEAP, +1)
    assert schedule.to_continuous(LEAP - SECOND, False) == LEAP - SECOND  # 23:59:59
    assert schedule.to_continuous(LEAP, True) == LEAP  # 23:59:60
    assert schedule.to_continuous(LEAP, False) == LEAP + SECOND  # 00:00:00
    assert schedule.pending(LEAP - 1) is not None and schedule.pending(LEAP) is None


@pytest.mark.parametrize(
    ("continuous", "served"),
    [
        (LEAP - 2 * SECOND, LEAP - 2 * SECOND),  # 23:59:58
        (LEAP - SECOND - 1, LEAP - SECOND - 1),
        (LEAP - SECOND, LEAP),  # 23:59:59 never happens
        (LEAP, LEAP + SECOND),
    ],
)
def test_delete(continuous: int, served: int) -> None:
    schedule = LeapSchedule()
    schedule.schedule(LEAP, -1)
    assert schedule.to_utc(continuous) == served
    assert schedule.to_continuous(LEAP, False) == LEAP - SECOND


def test_smear_spreads_the_second_over_a_day() -> None:
    schedule = LeapSchedule(smear=True)
    schedule.schedule(LEAP, +1)
    half_day = 43200 * SECOND
    assert schedule.to_utc(LEAP - half_day) == LEAP - half_day
    assert schedule.to_utc(LEAP) == LEAP - SECOND // 2
    assert schedule.to_utc(LEAP + half_day) == LEAP + half_day - SECOND
    smeared = [schedule.to_utc(LEAP - half_day + n * 3600 * SECOND) for n in range(25)]
    assert all(b > a for a, b in zip(smeared, smeared[1:], strict=False))


@settings(max_examples=300, deadline=None)
@given(
    smear=st.booleans(),
    sign=st.sampled_from([+1, -1]),
    start=st.integers(-2 * 86400 * SECOND, 2 * 86400 * SECOND),
    fraction=st.floats(0, 1),
)
def test_steady_offset_holds_until_the_next_change(
    smear: bool, sign: int, start: int, fraction: float
) -> None:
    schedule = LeapSchedule(smear=smear)
    schedule.schedule(LEAP, sign)
    continuous = LEAP + start
    steady = schedule.steady(continuous)
    if steady is None:  # only inside the held second or the smear day
        assert abs(start) <= 43200 * SECOND if smear else 0 <= start < SECOND
        return
    offset, until = steady
    end = min(until, continuous + 3 * 86400 * SECOND)
    for point in (continuous, end - 1, continuous + int((end - 1 - continuous) * fraction)):
        assert schedule.to_utc(point) == point + offset
    if until < continuous + 3 * 86400 * SECOND:  # the change happens where it says
        after = until + SECOND // 2
        assert schedule.to_utc(after) != after + offset
