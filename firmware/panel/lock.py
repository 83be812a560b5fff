"""The keypad lock: a PIN, and a lockout after repeated wrong PINs that survives a reboot."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from firmware.admin.passwords import hash_password, verify_password
from firmware.base.atomic_file import write_atomic
from firmware.base.config.audit import REDACTED, AuditLog
from firmware.base.events import EventBus, Severity

SECOND = 1_000_000_000
PANEL = "front panel"
"""Where a change made on the keypad itself comes from, in the audit log."""


@dataclass
class LockState:
    pin_hash: str = ""
    locked: bool = False
    failures: int = 0
    lockout_until_ns: int = 0


class KeypadLock:
    """State lives in a file in the data directory, rewritten atomically on each change and
    read again for each decision, so every console and the panel see the same lock. Locking,
    unlocking and a new PIN go in the audit log with who and from where."""

    def __init__(
        self,
        path: Path,
        events: EventBus,
        attempts: int = 5,
        lockout_seconds: int = 300,
        audit: AuditLog | None = None,
    ) -> None:
        self.path = path
        self.events = events
        self.attempts = attempts
        self.lockout_ns = lockout_seconds * SECOND
        self.audit = audit

    @property
    def state(self) -> LockState:
        return self._read()

    def _read(self) -> LockState:
        try:
            return LockState(**json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return LockState()
        except (ValueError, TypeError):
            # A damaged lock file must not unlock the keypad.
            return LockState(locked=True)

    def _save(self, state: LockState) -> None:
        write_atomic(self.path, json.dumps(asdict(state)).encode())

    @property
    def has_pin(self) -> bool:
        return bool(self.state.pin_hash)

    @property
    def locked(self) -> bool:
        return self.state.locked

    def set_pin(self, pin: str, who: str, source: str = PANEL) -> None:
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError("a keypad PIN is 4 to 8 digits")
        state = self.state
        old = REDACTED if state.pin_hash else None
        state.pin_hash = hash_password(pin)
        self._save(state)
        self._audit(who, source, "keypad.pin", old, REDACTED)
        self.events.emit("keypad.pin_set", Severity.NOTICE, f"keypad PIN set by {who}")

    def lock(self, who: str, source: str = PANEL) -> None:
        state = self.state
        if not state.pin_hash:
            raise ValueError("set a keypad PIN before locking the keypad")
        old, state.locked = state.locked, True
        self._save(state)
        self._audit(who, source, "keypad.locked", old, True)
        self.events.emit("keypad.locked", Severity.NOTICE, f"keypad locked by {who}")

    def unlock(self, who: str, source: str = PANEL) -> None:
        state = self.state
        old = state.locked
        state.locked, state.failures, state.lockout_until_ns = False, 0, 0
        self._save(state)
        self._audit(who, source, "keypad.locked", old, False)
        self.events.emit("keypad.unlocked", Severity.NOTICE, f"keypad unlocked by {who}")

    def _audit(self, who: str, source: str, key: str, old: object, new: object) -> None:
        if self.audit is not None:
            now = self.events.clock.now_ns()
            self.audit.record(now, who, source, key, old, new, kind="keypad")

    def lockout_left_s(self, now_ns: int) -> int:
        return max(0, -(-(self.state.lockout_until_ns - now_ns) // SECOND))

    def try_pin(self, pin: str, now_ns: int) -> bool:
        """True unlocks; wrong PINs count toward the lockout, which refuses even the right one."""
        state = self.state
        if max(0, state.lockout_until_ns - now_ns):
            return False
        if state.pin_hash and verify_password(pin, state.pin_hash):
            self.unlock("PIN on the keypad")
            return True
        state.failures += 1
        self.events.emit(
            "keypad.pin_failed", Severity.WARNING, "wrong keypad PIN",
            {"source": "keypad", "failures": str(state.failures)}, security=True,
        )  # fmt: skip
        if state.failures >= self.attempts:
            state.failures = 0
            state.lockout_until_ns = now_ns + self.lockout_ns
            self.events.emit(
                "keypad.lockout", Severity.ERROR,
                f"keypad locked out for {self.lockout_ns // SECOND} s after "
                f"{self.attempts} wrong PINs", {"source": "keypad"}, security=True,
            )  # fmt: skip
        self._save(state)
        return False
