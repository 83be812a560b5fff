"""A NIC's PTP hardware clock (/dev/ptpN) against the system clock: hardware timestamps are
on the PHC's timescale, so each is moved to system realtime by the PHC-to-system offset,
measured by reading the PHC's dynamic clock (FD_TO_CLOCKID) between two CLOCK_REALTIME
reads, as linuxptp's phc2sys does without PTP_SYS_OFFSET."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

READS = 5
"""Bracketed reads per measurement; the narrowest bracket wins."""


@dataclass(frozen=True)
class Bracket:
    """One PHC read between two realtime reads, all in nanoseconds."""

    before: int
    phc: int
    after: int


def clock_id(fd: int) -> int:
    """The dynamic POSIX clock id of an open /dev/ptpN (linux/posix-timers.h FD_TO_CLOCKID)."""
    return ((~fd) << 3) | 3


def phc_offset(brackets: Sequence[Bracket]) -> int:
    """PHC minus system time, from the read with the narrowest bracket: the PHC was read
    half-way between its two realtime reads, to within half the bracket. A read across a
    step back of the system clock is no measurement."""
    usable = [read for read in brackets if read.after >= read.before]
    if not usable:
        raise ValueError("no PHC read between two ordered system clock reads")
    best = min(usable, key=lambda read: read.after - read.before)
    return best.phc - (best.before + best.after) // 2


def to_system(phc_ns: int, offset_ns: int) -> int:
    """A hardware timestamp moved to the system's realtime scale."""
    return phc_ns - offset_ns


class PhcClock:
    """An open /dev/ptpN; `system_ns` maps its timestamps to system realtime."""

    def __init__(self, index: int, realtime: Callable[[], int] = time.time_ns) -> None:
        self.path = f"/dev/ptp{index}"
        self.fd = os.open(self.path, os.O_RDONLY)
        self.realtime = realtime

    def brackets(self, count: int = READS) -> list[Bracket]:
        clock = clock_id(self.fd)
        reads = []
        for _ in range(count):
            before = self.realtime()
            phc = time.clock_gettime_ns(clock)
            reads.append(Bracket(before, phc, self.realtime()))
        return reads

    def system_ns(self, phc_ns: int) -> int:
        """A timestamp of this PHC as system realtime, with the offset measured now (the
        stamp is milliseconds old, so the clocks' frequency difference does not show)."""
        return to_system(phc_ns, phc_offset(self.brackets()))

    def close(self) -> None:
        os.close(self.fd)
