"""gpsd's JSON reports: a TPV becomes a sample; what gpsd never sends is counted and dropped."""

import pytest

from hal.gps.gpsd_client import GpsdReports
from hal.gps.types import FixMode


def test_tpv_becomes_a_sample() -> None:
    reports = GpsdReports()
    line = b'{"class":"TPV","mode":3,"time":"2026-11-26T06:00:00.000Z","lat":1.5,"lon":2.5}'
    sample = reports.feed(line, 7)
    assert sample is not None and getattr(sample, "fix", None) is FixMode.THREE_D
    assert reports.counters == {"reports": 1, "malformed": 0, "ignored": 0}


@pytest.mark.parametrize(
    "line",
    [
        b'{"class":"TPV","mode":Infinity}',
        b'{"class":"TPV","mode":NaN}',
        b'{"class":"PPS","clock_sec":-Infinity,"clock_nsec":0,"real_sec":0}',
        b'{"class":"TPV","mode":1e400}',
        b'{"class":"TPV","time":"not a time"}',
    ],
)
def test_numbers_gpsd_never_sends_are_malformed(line: bytes) -> None:
    reports = GpsdReports()
    assert reports.feed(line, 0) is None
    assert reports.counters["malformed"] == 1
