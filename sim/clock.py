"""A clock that tests step by hand, so hours of simulated time pass in milliseconds."""

from __future__ import annotations


class SteppedClock:
    def __init__(self, start_ns: int) -> None:
        self._now_ns = start_ns

    def now_ns(self) -> int:
        return self._now_ns

    def step(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a stepped clock only moves forward")
        self._now_ns += round(seconds * 1e9)
