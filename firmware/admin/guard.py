"""Login lockout, the same on every console: too many failures lock the source address and
the account for a while. Free of I/O; time is passed in."""

from __future__ import annotations

from collections import defaultdict, deque

from firmware.base.config.schema import Admin
from firmware.base.events import EventBus, Severity

SECOND = 1_000_000_000


class LoginGuard:
    def __init__(self, settings: Admin, events: EventBus) -> None:
        self.settings = settings
        self.events = events
        self.failures: dict[str, deque[int]] = defaultdict(deque)
        self.locked_until: dict[str, int] = {}

    def locked(self, user: str, source: str, now_ns: int) -> bool:
        return any(self.locked_until.get(key, 0) > now_ns for key in _keys(user, source))

    def failed(self, user: str, source: str, now_ns: int) -> None:
        """Count a failure (the caller logs it); lock what passed the limit."""
        window = self.settings.lockout_window_s * SECOND
        for key in _keys(user, source):
            recent = self.failures[key]
            recent.append(now_ns)
            while recent and recent[0] <= now_ns - window:
                recent.popleft()
            if (
                len(recent) >= self.settings.lockout_failures
                and self.locked_until.get(key, 0) <= now_ns
            ):
                self.locked_until[key] = now_ns + self.settings.lockout_s * SECOND
                recent.clear()
                kind, name = key.split(":", 1)
                self.events.emit(
                    "login.lockout", Severity.WARNING,
                    f"{kind} {name} locked for {self.settings.lockout_s} s after "
                    f"{self.settings.lockout_failures} failed logins",
                    {"user": user, "source": source}, security=True,
                )  # fmt: skip
        if len(self.failures) > 10_000:  # a scan of many addresses must not grow this forever
            self.failures.clear()

    def succeeded(self, user: str, source: str) -> None:
        for key in _keys(user, source):
            self.failures.pop(key, None)


def _keys(user: str, source: str) -> tuple[str, str]:
    return f"account:{user}", f"source:{source}"
