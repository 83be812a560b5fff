"""Leap seconds planned into the schedule from what announces them: the GPS receiver's
warning, for the end of its month, or the leap-seconds file; each new plan is an event."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from firmware.base.events import EventBus, Severity
from firmware.timing.leaps import SECOND, LeapSchedule
from hal.gps.types import LeapWarning


@dataclass
class LeapPlanner:
    leaps: LeapSchedule
    events: EventBus
    gps_warning: LeapWarning = LeapWarning.NONE
    """The receiver's last warning: a leap is planned when it changes, not every second."""

    def from_gps(self, warning: LeapWarning, utc_ns: int) -> None:
        if warning is self.gps_warning:
            return
        self.gps_warning = warning
        if warning is LeapWarning.NONE:
            return
        self.plan(end_of_month_ns(utc_ns), 1 if warning is LeapWarning.INSERT else -1, "GPS")

    def plan(self, utc_at_ns: int, sign: int, source: str) -> None:
        known = [e for e in self.leaps.events if e.utc_at_ns == utc_at_ns and e.sign == sign]
        if known:
            return
        self.leaps.schedule(utc_at_ns, sign)
        day = datetime.datetime.fromtimestamp(utc_at_ns // SECOND - 1, datetime.UTC)
        kind = "inserted" if sign > 0 else "deleted"
        self.events.emit(
            "timing.leap_scheduled",
            Severity.NOTICE,
            f"leap second to be {kind} at the end of {day:%Y-%m-%d} UTC ({source})",
        )


def end_of_month_ns(utc_ns: int) -> int:
    """UTC of the 00:00:00 that starts the next month: where leap seconds happen."""
    moment = datetime.datetime.fromtimestamp(utc_ns // SECOND, datetime.UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return int(datetime.datetime(year, month, 1, tzinfo=datetime.UTC).timestamp()) * SECOND
