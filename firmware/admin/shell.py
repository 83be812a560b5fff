"""What a login session and the command interpreter exchange: who is logged in and from
where, a reply, and the interpreter as a login session sees it (so consoles never import the
command set)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol

_numbers = itertools.count(1)


class Status(IntEnum):
    """How a command ended; `ssh host COMMAND` exits with it."""

    OK = 0
    FAILED = 1
    """An error, a refusal, or a check that failed (audit)."""
    USAGE = 2
    """The command line itself was wrong: unknown command, missing or extra words."""


@dataclass(frozen=True)
class Reply:
    text: str
    logout: bool = False
    action: str = ""
    """Something the session must do itself: "passwd" asks for passwords."""
    status: Status = Status.OK

    @classmethod
    def failed(cls, text: str) -> Reply:
        return cls(text, status=Status.FAILED)

    @classmethod
    def usage(cls, text: str) -> Reply:
        return cls(text, status=Status.USAGE)


@dataclass(frozen=True)
class Origin:
    """Where a session came from: the serial console, or a network service ("ssh",
    "telnet") with both ends of its connection, so that a commit can tell whether it would
    cut the session off."""

    transport: str
    peer: str = ""
    """The client's address."""
    local: str = ""
    """The appliance's address the client connected to."""
    port: int = 0
    """The appliance's port the client connected to."""

    @property
    def source(self) -> str:
        """What logs and the audit trail name: the client's address, or "console"."""
        return self.peer or self.transport


CONSOLE = Origin("console")


def connection_origin(transport: str, extra_info: Callable[[str], Any]) -> Origin:
    """The origin of a network session, from its connection's get_extra_info."""
    peer, local = extra_info("peername"), extra_info("sockname")
    return Origin(
        transport,
        str(peer[0]) if peer else "?",
        str(local[0]) if local else "?",
        int(local[1]) if local else 0,
    )


@dataclass
class Session:
    user: str
    role: str
    source: str
    staged: dict[str, Any] = field(default_factory=dict)
    """config set stages changes here; config commit applies them as one."""
    origin: Origin = CONSOLE
    number: int = field(default_factory=lambda: next(_numbers))
    """Tells sessions apart: a confirmed commit must be confirmed from another session."""


class Shell(Protocol):
    """The command interpreter (firmware/admin/commands) behind a logged-in session."""

    @property
    def hostname(self) -> str: ...

    def run(self, line: str, session: Session) -> Reply: ...

    def complete(self, text: str) -> list[str]: ...

    def describe(self, text: str) -> list[str]: ...
