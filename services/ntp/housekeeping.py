"""What a worker does between requests: its served clock and reply template kept fresh, the
keys file reread, its counters and recent clients published to the appliance."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from services.ntp.engine import Engine
from services.ntp.fast import clock_settings, key_settings, template_settings
from services.ntp.keyring import KeyRing
from services.ntp.keys import KeysFileError
from services.ntp.shared_state import SharedState
from services.ntp.worker_clock import WorkerClock

if TYPE_CHECKING:
    from services.ntp._fastpath import FastPath


class Housekeeping:
    def __init__(
        self, clock: WorkerClock, engine: Engine, fast: FastPath | None, keys: KeyRing,
        shared: SharedState, index: int,
    ) -> None:  # fmt: skip
        self.clock = clock
        self.engine = engine
        self.fast = fast
        self.keys = keys
        self.shared = shared
        self.index = index
        self.updated_at = 0
        self.snapshot_age = 0
        self.push_keys()

    def refresh(self, host_ns: int) -> None:
        """Every 10 ms: the served clock and the sync state for the reply template."""
        clock = self.clock
        clock.refresh(host_ns)
        assert clock.sync is not None
        reference = clock.to_served(clock.reference) if clock.reference else 0
        self.snapshot_age = time.monotonic_ns() - clock.published
        self.engine.update(clock.sync, reference, self.snapshot_age)
        if self.fast is not None:
            self.fast.set_template(*template_settings(self.engine, clock.published))
            self.fast.set_clock(*clock_settings(clock.servo, clock.leaps, clock.trusted, host_ns))

    def push_keys(self) -> None:
        """The fast path signs with the trusted keys; the engine looks them up itself."""
        if self.fast is not None:
            self.fast.set_keys(key_settings(self.keys.usable()))

    def run(self, host_ns: int) -> None:
        """Ten times a second: the keys file if it changed, counters and clients out."""
        self.refresh(host_ns)
        with contextlib.suppress(KeysFileError, OSError):
            if self.keys.reload():
                self.push_keys()
        counters = self.engine.counters
        if self.fast is not None:
            counters = dict(counters)
            for name, value in self.fast.counters().items():
                counters[name] += value
        self.shared.write_counters(self.index, counters, self.snapshot_age)
        self.shared.write_clients(self.index, self.engine.clients.recent(32))
        self.updated_at = host_ns
