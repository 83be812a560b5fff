"""Clock access: the interface logic takes instead of calling time.time(), and the host's."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ns(self) -> int:
        """UTC now, in nanoseconds since the Unix epoch."""
        ...


class HostClock:
    """The host's realtime clock, until the timing discipline provides a better one."""

    def now_ns(self) -> int:
        return time.time_ns()
