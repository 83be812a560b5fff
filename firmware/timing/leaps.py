"""Leap seconds between the continuous timescale the servo keeps and served UTC.

The servo counts seconds without leaps (like TAI, offset at boot). Served UTC follows it,
minus the leaps since boot. An inserted second is served as 00:00:00.000 held for one
second, so served time never runs backwards; a deleted second is skipped. With smearing
the leap is spread over the 24 hours around it instead (unsuitable for public servers:
clients that do not smear disagree by up to half a second during that day).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECOND = 1_000_000_000
SMEAR_WINDOW = 86400 * SECOND
FOREVER = 1 << 62


@dataclass(frozen=True)
class LeapEvent:
    utc_at_ns: int
    """UTC of the 00:00:00 that follows the leap."""
    sign: int
    """+1 inserts 23:59:60, -1 deletes 23:59:59."""
    continuous_at_ns: int
    """Where on the continuous timescale the leap takes effect."""


@dataclass
class LeapSchedule:
    smear: bool = False
    events: list[LeapEvent] = field(default_factory=list)

    def schedule(self, utc_at_ns: int, sign: int) -> LeapEvent:
        """Plan a leap at the end of a UTC day; replaces a different plan for that moment."""
        self.events = [e for e in self.events if e.utc_at_ns != utc_at_ns]
        shift = self.shift_before_utc(utc_at_ns)
        start = utc_at_ns + shift if sign > 0 else utc_at_ns - SECOND + shift
        event = LeapEvent(utc_at_ns, sign, start)
        self.events.append(event)
        self.events.sort(key=lambda e: e.utc_at_ns)
        return event

    def withdraw(self, utc_at_ns: int) -> None:
        """Forget the leap planned for `utc_at_ns` (one that has not happened yet)."""
        self.events = [e for e in self.events if e.utc_at_ns != utc_at_ns]

    def shift_before_utc(self, utc_ns: int) -> int:
        return sum(e.sign for e in self.events if e.utc_at_ns < utc_ns) * SECOND

    def to_continuous(self, utc_ns: int, leap_second: bool) -> int:
        """A receiver's UTC label on the continuous timescale."""
        shift = 0
        for event in self.events:
            passed = utc_ns > event.utc_at_ns or (utc_ns == event.utc_at_ns and not leap_second)
            if event.sign < 0:
                passed = utc_ns >= event.utc_at_ns
            if passed:
                shift += event.sign * SECOND
        return utc_ns + shift

    def to_utc(self, continuous_ns: int) -> int:
        served = continuous_ns
        for event in self.events:
            if self.smear:
                served -= event.sign * _smear_fraction(continuous_ns, event.continuous_at_ns)
            elif continuous_ns >= event.continuous_at_ns:
                if event.sign > 0 and continuous_ns < event.continuous_at_ns + SECOND:
                    served -= continuous_ns - event.continuous_at_ns  # hold 00:00:00.000
                else:
                    served -= event.sign * SECOND
        return served

    def steady(self, continuous_ns: int) -> tuple[int, int] | None:
        """(offset, until): `to_utc(c) == c + offset` for every c from `continuous_ns` up to
        `until`; None while a leap is being applied (the held second, the smear day)."""
        offset, until = self.to_utc(continuous_ns) - continuous_ns, FOREVER
        for event in self.events:
            start, end = _changing(event, self.smear)
            if continuous_ns < start:
                until = min(until, start)
            elif continuous_ns < end:
                return None
        return offset, until

    def pending(self, continuous_ns: int) -> LeapEvent | None:
        for event in self.events:
            if event.continuous_at_ns > continuous_ns:
                return event
        return None


def _changing(event: LeapEvent, smear: bool) -> tuple[int, int]:
    """Where on the continuous timescale an event moves served time: a step has no width."""
    if smear:
        start = event.continuous_at_ns - SMEAR_WINDOW // 2
        return start, start + SMEAR_WINDOW
    width = SECOND if event.sign > 0 else 0
    return event.continuous_at_ns, event.continuous_at_ns + width


def _smear_fraction(continuous_ns: int, at_ns: int) -> int:
    start = at_ns - SMEAR_WINDOW // 2
    if continuous_ns <= start:
        return 0
    if continuous_ns >= start + SMEAR_WINDOW:
        return SECOND
    return (continuous_ns - start) * SECOND // SMEAR_WINDOW
