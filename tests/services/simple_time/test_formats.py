"""Daytime text and RFC 868 seconds, including the 2036 era wrap."""

import pytest

from services.simple_time.formats import daytime, rfc868

SECOND = 1_000_000_000


@pytest.mark.parametrize(
    ("unix_s", "expected"),
    [
        (0, "83aa7e80"),  # 1970-01-01: 2208988800
        (1_795_668_032, "eeb236c0"),
        (2_085_978_495, "ffffffff"),  # 2036-02-07 06:28:15, the last second of era 0
        (2_085_978_496, "00000000"),  # era 1 begins
        (2_100_000_000, "00d5f380"),
    ],
)
def test_rfc868_seconds(unix_s: int, expected: str) -> None:
    assert rfc868(unix_s * SECOND).hex() == expected


def test_daytime_is_ctime_in_utc() -> None:
    assert daytime(1_795_668_032 * SECOND) == b"Thu Nov 26 04:40:32 2026 UTC\r\n"
    assert daytime(1_796_541_600 * SECOND) == b"Sun Dec  6 07:20:00 2026 UTC\r\n"
