"""Commit confirmed: a change applied with the previous config kept, restored by itself unless
someone confirms from another session in time (Junos `commit confirmed`). The rollback goes
through the appliance's change lock; this class keeps the state, the file and the events."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from firmware.base.config import ConfigError
from firmware.base.config.rollback import SECOND, PendingRollback, RollbackFile
from firmware.base.config.store import ConfigStore
from firmware.base.events import EventBus, Severity
from hal.clock import Clock

Alarm = Callable[[float, Callable[[], None]], Callable[[], None]]
"""alarm(seconds, callback) calls back after that long (monotonic); it returns a cancel."""


class ConfirmedCommits:
    def __init__(
        self, store: ConfigStore, file: RollbackFile, events: EventBus, clock: Clock,
        alarm: Alarm, expire: Callable[[PendingRollback], None],
    ) -> None:  # fmt: skip
        """`expire(pending)` is called when the time is up; it must call `roll_back(pending)`
        under the lock that serialises config changes, then apply the config."""
        self.store = store
        self.file = file
        self.events = events
        self.clock = clock
        self.alarm = alarm
        self.expire = expire
        self.pending: PendingRollback | None = None
        self._cancel: Callable[[], None] = lambda: None

    def commit(
        self, changes: Mapping[str, Any], who: str, source: str, session: int, seconds: int,
        reason: str,
    ) -> PendingRollback:  # fmt: skip
        """Apply `changes` (ConfigError when refused) and arm the rollback. The rollback file
        is written before the config, so that a crash between the two rolls back nothing."""
        self.store.preview(changes)
        deadline = self.clock.now_ns() + seconds * SECOND
        previous = copy.deepcopy(self.store.document)
        pending = PendingRollback(
            previous, deadline, who, source, reason, session, str(self.store.path)
        )
        self.file.save(pending)
        try:
            self.store.set(changes, who, source)
        except BaseException:
            self.file.clear()
            raise
        self._cancel()
        self.pending = pending
        self._cancel = self.alarm(seconds, lambda: self.expire(pending))
        self.events.emit(
            "config.commit_confirmed", Severity.NOTICE,
            f"commit confirmed by {who} from {source}: rolls back at {pending.deadline_text()} "
            f"unless confirmed from another session ({reason})",
            {"user": who, "source": source}, security=True,
        )  # fmt: skip
        return pending

    def confirm(self, who: str, source: str) -> PendingRollback | None:
        """Keep the pending change for good; None when nothing was pending."""
        pending = self.pending
        if pending is None:
            return None
        self._cancel()
        self.pending = None
        self.file.clear()
        self.events.emit(
            "config.confirmed", Severity.NOTICE,
            f"{who} from {source} confirmed the commit of {pending.who} from {pending.source}",
            {"user": who, "source": source}, security=True,
        )  # fmt: skip
        return pending

    def abandon(self) -> None:
        """Forget the pending change without rolling back (a factory reset erases both)."""
        self._cancel()
        self.pending = None

    def roll_back(self, pending: PendingRollback) -> bool:
        """Restore the config before `pending` if it is still the pending one (a confirmation
        may have come while the caller waited for the lock); True when the config changed."""
        if self.pending is not pending:
            return False
        self._cancel()
        self.pending = None
        restored = self._restore(pending)
        if restored:
            self.announce(pending, f"nobody confirmed it by {pending.deadline_text()}")
        return restored

    def recover(self) -> PendingRollback | None:
        """At start, before any service runs: a rollback left pending by a restart or a power
        cut is carried out now. The caller announces it once the services (syslog) run."""
        try:
            pending = self.file.load()
        except ConfigError as exc:
            for problem in exc.problems:
                self.events.emit("config.rollback_failed", Severity.ERROR, problem)
            self.file.clear()
            return None
        if pending is None:
            return None
        if pending.config != str(self.store.path):
            self.events.emit(
                "config.rollback_failed", Severity.ERROR,
                f"a pending rollback is for {pending.config}, not {self.store.path}; "
                "left undone",
            )  # fmt: skip
            self.file.clear()
            return None
        return pending if self._restore(pending) else None

    def announce(self, pending: PendingRollback, why: str) -> None:
        self.events.emit(
            "config.rolled_back", Severity.WARNING,
            f"config rolled back: the commit confirmed by {pending.who} from {pending.source} "
            f"({pending.reason}) was undone because {why}",
            {"user": pending.who, "source": pending.source}, security=True,
        )  # fmt: skip

    def _restore(self, pending: PendingRollback) -> bool:
        source = f"unconfirmed commit by {pending.who} from {pending.source}"
        try:
            self.store.replace(pending.previous, "rollback", source)
        except ConfigError as exc:
            self.file.clear()  # the previous config will not parse at the next start either
            self._failed("; ".join(exc.problems))
            return False
        except OSError as exc:
            self._failed(f"{exc}; the next start tries again")
            return False
        self.file.clear()
        return True

    def _failed(self, why: str) -> None:
        self.events.emit(
            "config.rollback_failed", Severity.ERROR,
            f"rollback failed, the unconfirmed config stays: {why}",
        )  # fmt: skip
