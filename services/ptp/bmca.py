"""The best master clock algorithm as far as a grandmaster-only clock needs it: the data set
comparison of IEEE 1588-2019 clause 9.3.4 (as linuxptp's bmc.c dscmp()) and the foreign
master records of clause 9.3.2.4 that qualify an Announce sender.

Pure: `now_ns` is passed in, nothing here reads a clock or a socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.ptp.messages import Announce, ClockQuality, PortIdentity

FOREIGN_MASTER_THRESHOLD = 2
"""Announce messages within the window that qualify a foreign master (clause 9.3.2.4.5)."""
FOREIGN_MASTER_TIME_WINDOW = 4
"""The window, in announce intervals of the foreign master."""
SECOND = 1_000_000_000
LOG_INTERVAL_RANGE = (-3, 4)
"""Announce intervals read off the wire are clamped (as linuxptp's msg_current()): a sender
claiming 2**127 s must not keep its record alive for ever."""


@dataclass(frozen=True)
class Candidate:
    """What the comparison reads of a clock: its grandmaster's attributes (clause 9.3.4)."""

    priority1: int
    quality: ClockQuality
    priority2: int
    grandmaster: bytes
    steps_removed: int
    sender: PortIdentity

    @classmethod
    def of(cls, announce: Announce) -> Candidate:
        return cls(
            announce.priority1, announce.quality, announce.priority2, announce.grandmaster,
            announce.steps_removed, announce.header.source,
        )  # fmt: skip

    def rank(self) -> tuple[int, int, int, int, int, bytes]:
        """Part 1 of figure 34, lower is better: priority1, clockClass, clockAccuracy,
        offsetScaledLogVariance, priority2, clockIdentity."""
        q = self.quality
        return (
            self.priority1, q.clock_class, q.accuracy, q.variance, self.priority2,
            self.grandmaster,
        )  # fmt: skip


def better(a: Candidate, b: Candidate) -> bool:
    """Whether `a` is the better master than `b` (clause 9.3.4, figure 34).

    Different grandmasters compare by their attributes (part 1). The same grandmaster heard
    through different paths compares by steps removed, then by the sender (part 2, the
    topology tie-break)."""
    if a.grandmaster != b.grandmaster:
        return a.rank() < b.rank()
    if a.steps_removed != b.steps_removed:
        return a.steps_removed < b.steps_removed
    return (a.sender.clock, a.sender.port) < (b.sender.clock, b.sender.port)


def clamp_log_interval(log_interval: int) -> int:
    low, high = LOG_INTERVAL_RANGE
    return min(high, max(low, log_interval))


@dataclass
class ForeignMaster:
    """Announce messages heard from one sender: the last one and when they came."""

    last: Announce
    heard_ns: list[int] = field(default_factory=list)

    def interval_ns(self) -> int:
        return int(2.0 ** clamp_log_interval(self.last.header.log_interval) * SECOND)

    def add(self, announce: Announce, now_ns: int) -> None:
        self.last = announce
        self.heard_ns.append(now_ns)
        self.prune(now_ns)

    def prune(self, now_ns: int) -> None:
        window = FOREIGN_MASTER_TIME_WINDOW * self.interval_ns()
        self.heard_ns = [t for t in self.heard_ns if now_ns - t < window]

    def qualified(self, now_ns: int) -> bool:
        self.prune(now_ns)
        return len(self.heard_ns) >= FOREIGN_MASTER_THRESHOLD


@dataclass
class ForeignMasters:
    """Every sender heard on the domain, forgotten once its announces stop (clause 9.3.2.4),
    and bounded so that a flood of made-up identities cannot grow it without limit."""

    capacity: int = 16
    records: dict[PortIdentity, ForeignMaster] = field(default_factory=dict)

    def heard(self, announce: Announce, now_ns: int) -> None:
        source = announce.header.source
        record = self.records.get(source)
        if record is None:
            if len(self.records) >= self.capacity:
                self.expire(now_ns)
            if len(self.records) >= self.capacity:
                return
            record = self.records[source] = ForeignMaster(announce)
        record.add(announce, now_ns)

    def expire(self, now_ns: int) -> None:
        for source, record in list(self.records.items()):
            if not record.qualified(now_ns) and not record.heard_ns:
                del self.records[source]

    def best(self, now_ns: int) -> Candidate | None:
        """The best qualified foreign master (Erbest of clause 9.3.2.2), if any."""
        self.expire(now_ns)
        found: Candidate | None = None
        for record in self.records.values():
            if record.qualified(now_ns):
                candidate = Candidate.of(record.last)
                if found is None or better(candidate, found):
                    found = candidate
        return found
