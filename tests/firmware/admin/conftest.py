"""An admin command line wired to files in a temporary data directory."""

from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.admin.commands import Interpreter, Session, make_interpreter
from firmware.admin.confirmed import ConfirmedCommits
from firmware.admin.controls import Controls, NtpKeyControls
from firmware.admin.guard import LoginGuard
from firmware.admin.login import LoginSession, Recovery
from firmware.admin.shell import CONSOLE, Origin
from firmware.admin.users import UserStore
from firmware.base.config import SERVICE_NAMES
from firmware.base.config.audit import AuditLog
from firmware.base.config.rollback import PendingRollback, RollbackFile
from firmware.base.config.schema import Admin
from firmware.base.config.store import ConfigStore
from firmware.base.events import Event, EventBus, EventLog
from firmware.panel.lock import KeypadLock
from services.ntp.keyring import KeyRing
from services.ntp.keys import key_type
from sim.clock import SteppedClock

PASSWORD = "one-time-password-1"
MONITOR_PASSWORD = "watcher-password-1"
NOW = 1_800_000_000 * 10**9


class Bench:
    def __init__(self, tmp_path: Path) -> None:
        self.clock = SteppedClock(NOW)
        self.bus = EventBus(self.clock)
        self.seen: list[Event] = []
        self.bus.subscribe(self.seen.append)
        self.users = UserStore(tmp_path / "users.json")
        self.users.create("admin", "admin", PASSWORD, must_change=True)
        self.users.create("watcher", "monitor", MONITOR_PASSWORD, must_change=False)
        self.store = ConfigStore(
            tmp_path / "config.toml", SERVICE_NAMES, AuditLog(tmp_path / "audit.log"), self.clock
        )
        self.store.load(first_boot=True)
        self.reloads = 0
        self.status = {"gps": {"state": "running", "fix": "THREE_D", "valid": True}}
        keys = tmp_path / "ntp.keys"
        keys.write_text("1 AES128CMAC 000102030405060708090a0b0c0d0e0f\n")
        self.alarms: list[tuple[float, Callable[[], None]]] = []
        self.expired: list[PendingRollback] = []
        self.commits = ConfirmedCommits(
            self.store, RollbackFile(tmp_path / "rollback.toml"), self.bus, self.clock,
            self._alarm, self.expired.append,
        )  # fmt: skip
        self.controls = Controls(
            hostname="ts-1",
            data_dir=tmp_path,
            bus=self.bus,
            status=lambda: self.status,
            store=self.store,
            reload=self._reload,
            users=self.users,
            keypad=KeypadLock(tmp_path / "keypad.json", self.bus, audit=self.store.audit),
            ntp_keys=NtpKeyControls(
                lambda: KeyRing(keys, []).listing(),
                lambda i, kind, text: KeyRing(keys, []).add(i, key_type(kind), text),
                lambda i: KeyRing(keys, []).remove(i),
            ),
            events=EventLog(tmp_path / "events.log", 100_000, 2),
            commits=self.commits,
        )
        self.guard = LoginGuard(Admin(), self.bus)

    def _reload(self) -> None:
        self.reloads += 1

    def _alarm(self, seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
        """A timer the test fires itself: it runs out when the test says so."""
        alarm = (seconds, callback)
        self.alarms.append(alarm)
        return lambda: self.alarms.remove(alarm) if alarm in self.alarms else None

    def interpreter(self) -> Interpreter:
        return make_interpreter(self.controls)

    def login_session(
        self, source: str = "console", recovery: Recovery | None = None
    ) -> LoginSession:
        origin = CONSOLE if source == "console" else Origin("telnet", source, "192.0.2.1", 23)
        return LoginSession(
            self.users, self.bus, self.interpreter(), origin, self.guard, self.clock, recovery
        )

    def run(self, line: str, user: str = "admin", role: str = "admin") -> str:
        return self.interpreter().run(line, Session(user, role, "ssh 192.0.2.9")).text


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    return Bench(tmp_path)
