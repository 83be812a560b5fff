"""Leap seconds planned into the schedule from what announces them: the GPS receiver's
warning (for the instant it names, else the end of its month) and the leap-seconds file.
A leap stays planned while either announces it; one that neither announces any more is
withdrawn while it is still ahead. Each new plan and each withdrawal is an event."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from firmware.base.events import EventBus, Severity
from firmware.timing.leaps import SECOND, LeapSchedule
from hal.gps.types import LeapWarning

GPS = "GPS"
LEAP_FILE = "leap-seconds.list"
WITHDRAW_MARGIN_NS = 5 * SECOND
"""A leap this close is never withdrawn: receivers clear their warning around the leap."""
Plan = tuple[int, int]  # UTC just after the leap, sign


@dataclass
class LeapPlanner:
    leaps: LeapSchedule
    events: EventBus
    announced: dict[str, Plan | None] = field(default_factory=dict)
    """What each source announces now: a leap is planned when that changes, not every second."""

    def from_gps(self, warning: LeapWarning, utc_ns: int, at_ns: int | None = None) -> None:
        plan = None
        if warning is not LeapWarning.NONE:
            plan = (at_ns or end_of_month_ns(utc_ns), 1 if warning is LeapWarning.INSERT else -1)
        self.announce(GPS, plan, utc_ns)

    def announce(self, source: str, plan: Plan | None, utc_ns: int) -> None:
        """`source` now announces `plan` (None: no leap) at served UTC `utc_ns`."""
        earlier = self.announced.get(source)
        if plan == earlier:
            return
        self.announced[source] = plan
        if earlier is not None and earlier not in self.announced.values():
            self._withdraw(earlier, source, utc_ns)
        if plan is not None:
            self._plan(plan, source)

    def _plan(self, plan: Plan, source: str) -> None:
        utc_at_ns, sign = plan
        if any((e.utc_at_ns, e.sign) == plan for e in self.leaps.events):
            return
        self.leaps.schedule(utc_at_ns, sign)
        self.events.emit(
            "timing.leap_scheduled", Severity.NOTICE, f"leap second to be {_describe(plan)} "
            f"({source})",
        )  # fmt: skip

    def _withdraw(self, plan: Plan, source: str, utc_ns: int) -> None:
        utc_at_ns, _ = plan
        if utc_at_ns - utc_ns <= WITHDRAW_MARGIN_NS:
            return
        self.leaps.withdraw(utc_at_ns)
        self.events.emit(
            "timing.leap_withdrawn", Severity.WARNING, f"leap second that was to be "
            f"{_describe(plan)} withdrawn: {source} no longer announces it, nor does anything else",
        )  # fmt: skip


def _describe(plan: Plan) -> str:
    utc_at_ns, sign = plan
    last = datetime.datetime.fromtimestamp(utc_at_ns // SECOND - 1, datetime.UTC)
    kind = "inserted" if sign > 0 else "deleted"
    if (last.hour, last.minute, last.second) == (23, 59, 59):
        return f"{kind} at the end of {last:%Y-%m-%d} UTC"
    return f"{kind} after {last:%Y-%m-%d %H:%M:%S} UTC"


def end_of_month_ns(utc_ns: int) -> int:
    """UTC of the 00:00:00 that starts the next month: where leap seconds happen."""
    moment = datetime.datetime.fromtimestamp(utc_ns // SECOND, datetime.UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return int(datetime.datetime(year, month, 1, tzinfo=datetime.UTC).timestamp()) * SECOND
