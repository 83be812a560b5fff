"""The dashboard's ring of the last hour: bounded, rates from consecutive counters, gaps
where a value is missing or unknown."""

from firmware.timing.sync_state import UNKNOWN_ERROR_NS
from services.web.history import History

S = 1_000_000_000


def tree(served: int, offset: int | None = 40, error: int = 500) -> dict[str, dict[str, object]]:
    timing: dict[str, object] = {"est_error_ns": error}
    if offset is not None:
        timing["last_offset_ns"] = offset
    return {
        "timing": timing,
        "ntp": {"served": served, "denied": 2, "rate_limited": 3, "kod_sent": 1},
    }


def test_requests_per_second_come_from_consecutive_counters() -> None:
    history = History()
    history.sample(tree(100), 10 * S)
    history.sample(tree(130), 13 * S)
    series = history.series()
    assert series["t"] == [10.0, 13.0]
    # 100 served + 2 denied + 3 rate-limited + 1 KoD, then 30 more in 3 s
    assert series["requests_per_s"] == [None, 10.0]
    assert series["kod"] == [1, 1] and series["refused"] == [5, 5]
    assert series["offset_ns"] == [40, 40] and series["est_error_ns"] == [500, 500]


def test_an_ntp_restart_or_a_missing_value_is_a_gap_not_a_negative_rate() -> None:
    history = History()
    history.sample(tree(500), 0)
    history.sample(tree(10, offset=None, error=UNKNOWN_ERROR_NS), 3 * S)
    history.sample({}, 6 * S)
    series = history.series()
    assert series["requests_per_s"] == [None, None, None]
    assert series["offset_ns"] == [40, None, None]
    assert series["est_error_ns"] == [500, None, None]


def test_the_ring_keeps_the_last_samples_only() -> None:
    history = History(capacity=3)
    for n in range(10):
        history.sample(tree(n), n * S)
    assert history.series()["t"] == [7.0, 8.0, 9.0]
