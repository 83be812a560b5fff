"""Token buckets per client in a bounded table."""

import random

from services.ntp.ratelimit import SECOND, RateLimiter


def test_burst_then_one_per_interval() -> None:
    limiter = RateLimiter(2.0, 3, 0, 100, random.Random(1))
    now = 10 * SECOND
    assert [limiter.allow("a", now) for _ in range(5)] == [True, True, True, False, False]
    assert not limiter.allow("a", now + SECOND)
    assert limiter.allow("a", now + 2 * SECOND)


def test_table_is_bounded_least_recent_first() -> None:
    limiter = RateLimiter(1.0, 1, 0, 3, random.Random(1))
    for client in "abc":
        limiter.allow(client, 0)
    limiter.allow("a", 1)
    limiter.allow("d", 2)
    assert list(limiter.table) == ["c", "a", "d"]
    assert limiter.allow("b", 3), "a forgotten client starts with a full bucket"
