"""A worker's served clock: host time mapped through the servo and leaps the appliance last
published in shared memory."""

from __future__ import annotations

import time

from firmware.timing.leaps import LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import SyncState
from services.ntp.policy import served_time
from services.ntp.shared_state import SharedState


class WorkerClock:
    """Served time from the appliance's published mapping, which the loop refreshes every
    10 ms between requests (the mapping only changes rate, by parts per billion)."""

    def __init__(self, shared: SharedState) -> None:
        self.shared = shared
        self.servo = Servo()
        self.leaps = LeapSchedule()
        self.trusted = False
        self.sync: SyncState | None = None
        self.reference = 0
        self.published = 0
        self.read_at = 0
        self.last = 0

    def refresh(self, host_ns: int) -> None:
        """The latest snapshot; the one in hand if the appliance stopped in mid-write, which
        then grows old and stale like any other."""
        self.read_at = host_ns
        snapshot = self.shared.snapshot()
        if snapshot is None:
            return
        self.servo, self.leaps, self.trusted = snapshot.servo, snapshot.leaps, snapshot.trusted
        self.sync, self.reference = snapshot.sync, snapshot.reference_ns
        self.published = snapshot.published_ns

    def to_served(self, host_ns: int) -> int:
        return served_time(self.servo, self.leaps, host_ns)

    def now_ns(self) -> int:
        value = self.to_served(time.time_ns())
        if value <= self.last and self.trusted:
            value = self.last + 1
        self.last = value
        return value
