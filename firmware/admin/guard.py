"""Login lockout. A network login (SSH, telnet) that fails too often locks its source address
and, for network logins only, the account; failures on the serial console lock the console for
a while. Network failures never lock the console: it is the way in when the network is hostile.
Free of I/O; time is passed in."""

from __future__ import annotations

from collections import OrderedDict, deque

from firmware.admin.shell import CONSOLE as CONSOLE_ORIGIN
from firmware.base.config.schema import Admin
from firmware.base.events import EventBus, Severity

SECOND = 1_000_000_000
CONSOLE = CONSOLE_ORIGIN.source
"""What the serial console's logins count against, whoever tries."""
CAPACITY = 10_000
"""Sources and accounts with failures in progress kept at most: a scan of many addresses
evicts the least recently failed, never a locked one."""


class LoginGuard:
    def __init__(self, settings: Admin, events: EventBus, capacity: int = CAPACITY) -> None:
        self.settings = settings
        self.events = events
        self.capacity = capacity
        self.failures: OrderedDict[str, deque[int]] = OrderedDict()
        """Recent failure times by key, least recently failed first."""
        self.locked_until: dict[str, int] = {}

    def locked(self, user: str, source: str, now_ns: int) -> bool:
        return self.seconds_left(user, source, now_ns) > 0

    def seconds_left(self, user: str, source: str, now_ns: int) -> int:
        """How long the longest lock on this login lasts still, whole seconds rounded up."""
        until = max(self.locked_until.get(key, 0) for key in _keys(user, source))
        return max(0, -(-(until - now_ns) // SECOND))

    def failed(self, user: str, source: str, now_ns: int) -> None:
        """Count a failure (the caller logs it); lock what passed the limit."""
        window = self.settings.lockout_window_s * SECOND
        for key in _keys(user, source):
            recent = self.failures.pop(key, None) or deque()
            self.failures[key] = recent  # now the most recently failed
            recent.append(now_ns)
            while recent and recent[0] <= now_ns - window:
                recent.popleft()
            if (
                len(recent) >= self.settings.lockout_failures
                and self.locked_until.get(key, 0) <= now_ns
            ):
                del self.failures[key]
                self._lock(key, user, source, now_ns)
        self._evict(now_ns)

    def succeeded(self, user: str, source: str) -> None:
        for key in _keys(user, source):
            self.failures.pop(key, None)

    def _lock(self, key: str, user: str, source: str, now_ns: int) -> None:
        seconds = self.settings.console_lockout_s if key == CONSOLE else self.settings.lockout_s
        self.locked_until.pop(key, None)  # kept in the order locks end
        self.locked_until[key] = now_ns + seconds * SECOND
        what = "the console" if key == CONSOLE else " ".join(key.split(":", 1))
        self.events.emit(
            "login.lockout", Severity.WARNING,
            f"{what} locked for {seconds} s after {self.settings.lockout_failures} failed logins",
            {"user": user, "source": source}, security=True,
        )  # fmt: skip

    def _evict(self, now_ns: int) -> None:
        """Keep the tables bounded: expired locks go (oldest first, as they were made), and
        past capacity the least recently failed counts; a lock in force is never dropped."""
        while self.locked_until:
            key = next(iter(self.locked_until))
            if self.locked_until[key] > now_ns:
                break
            del self.locked_until[key]
        while len(self.failures) > self.capacity:
            self.failures.popitem(last=False)


def _keys(user: str, source: str) -> tuple[str, ...]:
    """What a login counts against: the console alone, or the source and the account."""
    if source == CONSOLE:
        return (CONSOLE,)
    return f"source:{source}", f"account:{user}"
