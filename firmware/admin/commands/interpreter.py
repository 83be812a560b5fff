"""The command interpreter every console shares: a line in, text out, no I/O.

Commands live in small modules (system, config, accounts, devices, ntp), each a dict of
name -> Command; this module dispatches, checks roles, completes and explains.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from firmware.admin.controls import Controls
from firmware.admin.shell import Reply, Session
from firmware.base.events import Severity


@dataclass(frozen=True)
class Call:
    controls: Controls
    session: Session
    args: list[str]


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Command:
    help: str
    run: Handler
    writes: bool | tuple[str, ...] = False
    """True, or the subcommands ("add", or "keys add") that change something; monitors may
    not run those."""
    subcommands: tuple[str, ...] = ()

    def changes(self, args: list[str]) -> bool:
        if isinstance(self.writes, bool):
            return self.writes
        return any(args[: len(words.split())] == words.split() for words in self.writes)


class Interpreter:
    def __init__(self, controls: Controls, commands: dict[str, Command]) -> None:
        self.controls = controls
        self.commands = dict(commands)
        self.commands["help"] = Command(
            "list the commands, or explain one: help COMMAND", self._help
        )

    @property
    def hostname(self) -> str:
        return self.controls.hostname

    def run(self, line: str, session: Session) -> Reply:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return Reply.usage(f"error: {exc}")
        if not words:
            return Reply("")
        command = self.commands.get(words[0])
        if command is None:
            return Reply.usage(f"unknown command {words[0]!r}; type 'help' for the list")
        args = words[1:]
        if command.changes(args) and session.role != "admin":
            self.controls.bus.emit(
                "admin.denied", Severity.WARNING,
                f"{session.user} ({session.role}) may not run: {words[0]} {' '.join(args[:1])}",
                {"user": session.user, "source": session.source}, security=True,
            )  # fmt: skip
            return Reply.failed("permission denied: a monitor account may only read")
        try:
            return command.run(Call(self.controls, session, args))
        except ValueError as exc:
            return Reply.failed(f"error: {exc}")

    def complete(self, text: str) -> list[str]:
        words = text.split(" ")
        if len(words) == 1:
            return sorted(name for name in self.commands if name.startswith(text))
        command = self.commands.get(words[0])
        if command is None or len(words) != 2:
            return []
        return [f"{words[0]} {sub}" for sub in command.subcommands if sub.startswith(words[1])]

    def _help(self, call: Call) -> Reply:
        if call.args:
            command = self.commands.get(call.args[0])
            if command is None:
                return Reply.usage(f"unknown command {call.args[0]!r}")
            return Reply(f"{call.args[0]}: {command.help}")
        width = max(len(name) for name in self.commands)
        lines = [
            f"{name:<{width}}  {c.help.splitlines()[0]}"
            for name, c in sorted(self.commands.items())
        ]
        return Reply("\n".join(lines))
