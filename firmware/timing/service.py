"""Runs the discipline in real time: ticks it, and keeps the leap-second file in mind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from firmware.base.config.schema import Timing
from firmware.base.events import EventBus, Severity
from firmware.base.service import ServiceTasks
from firmware.timing.discipline import Discipline
from firmware.timing.leap_planning import LEAP_FILE, end_of_month_ns
from firmware.timing.leapfile import LeapFileError, LeapTable, load_leap_file
from firmware.timing.leaps import SECOND
from hal.clock import Clock

TICK_S = 0.25
RELOAD_S = 86400.0
EXPIRY_WARNING_S = 30 * 86400


class TimingService:
    name = "timing"

    def __init__(self, settings: Timing, discipline: Discipline, host: Clock, events: EventBus):
        self.settings = settings
        self.discipline = discipline
        self.host = host
        self.events = events
        self.tasks = ServiceTasks()
        self.table: LeapTable | None = None

    async def start(self) -> None:
        self.discipline.configure(self.settings)
        self.load_leap_file()
        self.tasks.spawn(self._tick(), "timing tick")
        self.tasks.spawn(self._daily(), "leap file")

    def load_leap_file(self) -> None:
        if not self.settings.leap_file:
            self.table = None
            return
        try:
            self.table = load_leap_file(Path(self.settings.leap_file))
        except LeapFileError as exc:
            self.table = None
            self.events.emit(
                "timing.leap_file_invalid", Severity.ERROR, f"leap file ignored: {exc}"
            )
            return
        now_s = self.discipline.served_ns(self.host.now_ns()) // SECOND
        left = self.table.expires_unix - now_s
        if left < 0:
            self.events.emit(
                "timing.leap_file_expired", Severity.WARNING,
                f"leap file {self.settings.leap_file} expired {-left // 86400} days ago; "
                "install a current leap-seconds.list",
            )  # fmt: skip
        elif left < EXPIRY_WARNING_S:
            self.events.emit(
                "timing.leap_file_expiring", Severity.WARNING,
                f"leap file {self.settings.leap_file} expires in {left // 86400} days",
            )  # fmt: skip

    def plan_from_table(self, host_ns: int) -> None:
        """The file announces the leap at the end of this month, if it lists one."""
        now = self.discipline.served_ns(host_ns)
        coming = self.table.next_leap(now // SECOND) if self.table is not None else None
        plan = None
        if coming is not None and coming[0] * SECOND == end_of_month_ns(now):
            plan = (coming[0] * SECOND, coming[1])
        self.discipline.announce_leap(LEAP_FILE, plan, now)

    async def _tick(self) -> None:
        while True:
            host = self.host.now_ns()
            self.discipline.tick(host)
            self.plan_from_table(host)
            await asyncio.sleep(TICK_S)

    async def _daily(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_S)
            self.load_leap_file()

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        await self.tasks.cancel_all()

    def status(self) -> dict[str, object]:
        host = self.host.now_ns()
        state = self.discipline.sync_state(host).as_dict()
        offset = {"last_offset_ns": round(self.discipline.last_offset_ns)}
        leap = {"leap_at_ns": self.discipline.leap_at_ns(host)}
        return {**state, **offset, **leap, **self.discipline.counters.as_dict()}
