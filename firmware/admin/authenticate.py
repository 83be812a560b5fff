"""Checking a password, one implementation for every console (serial, telnet, SSH, web):
the lockout guard first, the hash in a thread, the guard again, and every failure a security
event with the source address, the password never in it."""

from __future__ import annotations

from dataclasses import dataclass

from firmware.admin.guard import LoginGuard
from firmware.admin.users import User, UserStore
from firmware.base.events import EventBus, Severity
from hal.clock import Clock


@dataclass(frozen=True)
class Authenticator:
    users: UserStore
    guard: LoginGuard
    events: EventBus
    clock: Clock

    async def check(self, user: str, password: str, source: str, via: str = "") -> User | None:
        """The account when the password is right and neither the account nor the source is
        locked out; None after logging why not. `via` names the console in the event text
        ("SSH ", "web "), empty for the console and telnet."""
        now = self.clock.now_ns()
        locked = self.guard.locked(user, source, now)
        account = None if locked else await self.users.check_off_loop(user, password)
        # Failures of other sessions may have locked the account while the hash ran.
        locked = locked or self.guard.locked(user, source, self.clock.now_ns())
        if account is not None and not locked:
            self.guard.succeeded(user, source)
            return account
        why = "locked out" if locked else "bad user name or password"
        self.events.emit(
            "login.failed", Severity.WARNING,
            f"failed {via}login for {user!r} from {source}: {why}",
            {"user": user, "source": source}, security=True,
        )  # fmt: skip
        if not locked:
            self.guard.failed(user, source, now)
        return None
