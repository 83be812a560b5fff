"""Web sessions: a random token in the cookie, a CSRF token beside it, the account's role,
and the idle timeout of every console. Free of I/O; time is passed in."""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from firmware.admin.shell import Origin, Session

SECOND = 1_000_000_000
LIMIT = 1000
"""Sessions kept at most; a new login beyond that ends the least recently used one."""


@dataclass(frozen=True)
class Notice:
    """What the last form did, shown once on the page it returns to."""

    text: str
    failed: bool = False


@dataclass
class WebSession:
    token: str
    csrf: str
    shell: Session
    """What the command layer sees: user, role, source and the staged config changes."""
    last_seen_ns: int
    notice: Notice | None = None
    must_change_password: bool = False
    """Logged in with a one-time password: the password page before anything else."""

    @property
    def user(self) -> str:
        return self.shell.user

    @property
    def is_admin(self) -> bool:
        return self.shell.role == "admin"

    def csrf_matches(self, given: str) -> bool:
        return hmac.compare_digest(self.csrf.encode(), given.encode())


class WebSessions:
    def __init__(self, idle_timeout_s: int, limit: int = LIMIT) -> None:
        self.idle_ns = idle_timeout_s * SECOND
        self.limit = limit
        self.sessions: OrderedDict[str, WebSession] = OrderedDict()

    def open(
        self, user: str, role: str, origin: Origin, now_ns: int, must_change: bool = False
    ) -> WebSession:
        while len(self.sessions) >= self.limit:
            self.sessions.popitem(last=False)
        token = secrets.token_urlsafe(32)
        shell = Session(user, role, origin.source, origin=origin)
        session = WebSession(token, secrets.token_urlsafe(32), shell, now_ns,
                             must_change_password=must_change)  # fmt: skip
        self.sessions[token] = session
        return session

    def find(self, token: str, now_ns: int) -> WebSession | None:
        """The session of a cookie, kept alive by this use; None when unknown or idle too long."""
        session = self.sessions.get(token)
        if session is None:
            return None
        if now_ns - session.last_seen_ns >= self.idle_ns:
            del self.sessions[token]
            return None
        session.last_seen_ns = max(session.last_seen_ns, now_ns)
        self.sessions.move_to_end(token)
        return session

    def close(self, token: str) -> WebSession | None:
        return self.sessions.pop(token, None)
