"""What a worker does between requests: its policy kept fresh (the served clock and reply
template from the appliance's snapshot, the keys file reread) and handed to both packet
paths, its counters and recent clients published to the appliance."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from firmware.base.config.schema import NtpSection
from services.ntp.engine import Engine
from services.ntp.fast import native
from services.ntp.keyring import KeyRing
from services.ntp.keys import KeysFileError
from services.ntp.policy import Policy, served_clock, with_config, with_keys, with_snapshot
from services.ntp.shared_state import SharedState
from services.ntp.worker_clock import WorkerClock

if TYPE_CHECKING:
    from services.ntp._fastpath import FastPath


class Housekeeping:
    def __init__(
        self, clock: WorkerClock, engine: Engine, fast: FastPath | None, keys: KeyRing,
        shared: SharedState, index: int, config: NtpSection,
    ) -> None:  # fmt: skip
        self.config = config
        self.settings_generation = 0
        self.clock = clock
        self.engine = engine
        self.fast = fast
        self.keys = keys
        self.shared = shared
        self.index = index
        self.updated_at = 0
        self.snapshot_age = 0

    def apply(self, policy: Policy) -> None:
        """One policy for both packet paths."""
        self.engine.update(policy, time.monotonic_ns())
        if self.fast is not None:
            self.fast.set_policy(native(policy))

    def refresh(self, host_ns: int) -> None:
        """Every 10 ms: the served clock and the sync state for the reply template."""
        clock = self.clock
        clock.refresh(host_ns)
        assert clock.sync is not None
        reference = clock.to_served(clock.reference) if clock.reference else 0
        self.snapshot_age = time.monotonic_ns() - clock.published
        served = served_clock(clock.servo, clock.leaps, clock.trusted, host_ns)
        self.apply(
            with_snapshot(self.engine.policy, clock.sync, reference, clock.published, served)
        )

    def retune(self) -> None:
        """New live settings from the appliance (rules, allow-list, rate limit, bad-MAC answer,
        trusted keys), taken between requests: no restart, no request missed."""
        found = self.shared.settings(self.settings_generation)
        if found is None:
            return
        self.settings_generation, settings = found
        try:
            config = NtpSection.model_validate({**self.config.model_dump(mode="json"), **settings})
        except ValueError:
            return  # the appliance checked them; a damaged slot is ignored, not served
        self.config = config
        self.keys.trusted = frozenset(config.trusted_keys)
        self.apply(with_config(self.engine.policy, config, self.keys.usable()))

    def run(self, host_ns: int) -> None:
        """Ten times a second: new settings, the keys file if it changed, counters and
        clients out."""
        self.refresh(host_ns)
        self.retune()
        with contextlib.suppress(KeysFileError, OSError):
            if self.keys.reload():
                self.apply(with_keys(self.engine.policy, self.keys.usable()))
        counters, table = self.engine.counters, None
        if self.fast is not None:
            counters = dict(counters)
            for name, value in self.fast.counters().items():
                counters[name] += value
            table = self.fast.table_stats()
        self.shared.write_counters(self.index, counters, self.snapshot_age, table)
        self.shared.write_clients(self.index, self.engine.clients.recent(32))
        self.updated_at = host_ns
