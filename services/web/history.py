"""The dashboard's last hour: a bounded ring of samples taken from the status tree every few
seconds (offset to GPS, estimated error, NTP requests per second, KoD and refused counts).
Free of I/O; the caller passes the tree and the time."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from firmware.base.status import StatusTree
from firmware.timing.sync_state import UNKNOWN_ERROR_NS
from services.web.metrics import NTP_OUTCOMES, REFUSED

SAMPLE_S = 3
"""How often the web service samples the status tree."""
HOUR_S = 3600
SERIES = ("offset_ns", "est_error_ns", "requests_per_s", "kod", "refused")


def _count(section: dict[str, Any], key: str) -> int | None:
    value = section.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _total(section: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    counts = [_count(section, key) for key in keys]
    return sum(c for c in counts if c is not None) if any(c is not None for c in counts) else None


@dataclass(frozen=True)
class Sample:
    t_ns: int
    offset_ns: int | None
    est_error_ns: int | None
    requests: int | None
    """NTP requests received since the NTP service started (a counter)."""
    kod: int | None
    refused: int | None


class History:
    """At most an hour of samples; requests per second from consecutive counters (a counter
    that went down, an NTP restart, starts again without a negative rate)."""

    def __init__(self, capacity: int = HOUR_S // SAMPLE_S) -> None:
        self.samples: deque[Sample] = deque(maxlen=capacity)

    def sample(self, tree: StatusTree, now_ns: int) -> Sample:
        timing, ntp = tree.get("timing", {}), tree.get("ntp", {})
        error = _count(timing, "est_error_ns")
        taken = Sample(
            now_ns,
            _count(timing, "last_offset_ns"),
            error if error is not None and error < UNKNOWN_ERROR_NS else None,
            _total(ntp, NTP_OUTCOMES),  # every outcome counted: every request received
            _count(ntp, "kod_sent"),
            _total(ntp, REFUSED),
        )
        self.samples.append(taken)
        return taken

    def series(self) -> dict[str, list[Any]]:
        """Columns for the charts: times in seconds and one list per series, None for gaps."""
        columns: dict[str, list[Any]] = {"t": [], **{name: [] for name in SERIES}}
        before: Sample | None = None
        for taken in self.samples:
            columns["t"].append(taken.t_ns / 1e9)
            columns["offset_ns"].append(taken.offset_ns)
            columns["est_error_ns"].append(taken.est_error_ns)
            columns["requests_per_s"].append(_rate(before, taken))
            columns["kod"].append(taken.kod)
            columns["refused"].append(taken.refused)
            before = taken
        return columns


def _rate(before: Sample | None, after: Sample) -> float | None:
    if before is None or before.requests is None or after.requests is None:
        return None
    seconds = (after.t_ns - before.t_ns) / 1e9
    if seconds <= 0 or after.requests < before.requests:
        return None
    return round((after.requests - before.requests) / seconds, 3)
