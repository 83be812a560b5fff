"""The PHC-to-system offset from bracketed reads, and a hardware stamp moved with it."""

import pytest

from hal.phc import Bracket, clock_id, phc_offset, to_system

TAI = 37_000_000_000


def test_the_offset_is_taken_from_the_narrowest_bracket() -> None:
    reads = [
        Bracket(1_000_000_000, 1_000_000_600 + TAI, 1_000_001_000),  # 1000 ns wide
        Bracket(1_000_002_000, 1_000_002_140 + TAI, 1_000_002_200),  # 200 ns: mid 2100
        Bracket(1_000_003_000, 1_000_003_900 + TAI, 1_000_003_800),  # 800 ns wide
    ]
    assert phc_offset(reads) == TAI + 40


def test_a_hardware_stamp_moves_to_system_time() -> None:
    offset = phc_offset([Bracket(5_000, 5_100 - 250_000, 5_200)])
    assert offset == -250_000
    assert to_system(1_700_000_000_123_456_789, offset) == 1_700_000_000_123_706_789


def test_a_read_across_a_step_back_is_no_measurement() -> None:
    stepped = Bracket(2_000_000, 10, 1_000_000)
    assert phc_offset([stepped, Bracket(3_000, 3_550, 3_100)]) == 500
    with pytest.raises(ValueError, match="no PHC read"):
        phc_offset([stepped])
    with pytest.raises(ValueError):
        phc_offset([])


def test_the_dynamic_clock_id_of_a_descriptor() -> None:
    # FD_TO_CLOCKID(3) in linux/posix-timers.h: ((~3) << 3) | 3 == -29.
    assert clock_id(3) == -29
    assert clock_id(0) == -5
