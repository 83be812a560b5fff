"""What a login session and the command interpreter exchange: who is logged in, a reply, and
the interpreter as a login session sees it (so consoles never import the command set)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Reply:
    text: str
    logout: bool = False
    action: str = ""
    """Something the session must do itself: "passwd" asks for passwords."""


@dataclass
class Session:
    user: str
    role: str
    source: str
    staged: dict[str, Any] = field(default_factory=dict)
    """config set stages changes here; config commit applies them as one."""


class Shell(Protocol):
    """The command interpreter (firmware/admin/commands) behind a logged-in session."""

    @property
    def hostname(self) -> str: ...

    def run(self, line: str, session: Session) -> Reply: ...

    def complete(self, text: str) -> list[str]: ...
