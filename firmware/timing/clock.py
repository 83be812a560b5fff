"""The served clock every service reads: the discipline's time, never running backwards."""

from __future__ import annotations

from typing import Protocol

from hal.clock import Clock


class ServedTime(Protocol):
    """What the discipline offers the clock: served time for a host stamp, and trust in it."""

    def served_ns(self, host_ns: int) -> int: ...

    def trusted(self) -> bool: ...


class DisciplinedClock:
    """The clock every service reads: served UTC, never running backwards once trusted.

    Before the first lock nobody relies on served time (it is announced unsynchronised), so a
    start-up step may go back; after it, a step back holds served time still until it
    catches up. Kernel receive timestamps convert with `to_served`, unclamped.
    """

    def __init__(self, host: Clock, served: ServedTime) -> None:
        self.host = host
        self.served = served
        self.last = 0

    def now_ns(self) -> int:
        value = self.served.served_ns(self.host.now_ns())
        if value <= self.last and self.served.trusted():
            value = self.last + 1
        self.last = value
        return value

    def to_served(self, host_ns: int) -> int:
        return self.served.served_ns(host_ns)
