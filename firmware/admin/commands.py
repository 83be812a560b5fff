"""The command interpreter every console shares: a line in, text out, no I/O."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from firmware import __version__
from firmware.admin.status_report import format_status
from firmware.panel.lock import KeypadLock

StatusSource = Callable[[], dict[str, dict[str, object]]]


@dataclass(frozen=True)
class Reply:
    text: str
    logout: bool = False


@dataclass(frozen=True)
class Command:
    help: str
    run: Callable[[list[str], str], Reply]


class Interpreter:
    def __init__(
        self, status: StatusSource, hostname: str, keypad: KeypadLock | None = None
    ) -> None:
        self.status = status
        self.hostname = hostname
        self.keypad = keypad
        self.commands: dict[str, Command] = {
            "help": Command("list the commands, or explain one: help [COMMAND]", self._help),
            "status": Command("show each service and the GPS receiver", self._status),
            "version": Command("show the firmware version", self._version),
            "keypad": Command(
                "front-panel keypad: keypad [lock | unlock | pin DIGITS]", self._keypad
            ),
            "whoami": Command("show who is logged in", lambda args, user: Reply(user)),
            "logout": Command("end this session", lambda args, user: Reply("bye", True)),
            "exit": Command("end this session", lambda args, user: Reply("bye", True)),
        }

    def run(self, line: str, user: str) -> Reply:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return Reply(f"error: {exc}")
        if not words:
            return Reply("")
        command = self.commands.get(words[0])
        if command is None:
            return Reply(f"unknown command {words[0]!r}; type 'help' for the list")
        return command.run(words[1:], user)

    def complete(self, text: str) -> list[str]:
        if " " in text:
            return []
        return sorted(name for name in self.commands if name.startswith(text))

    def _help(self, args: list[str], user: str) -> Reply:
        if args:
            command = self.commands.get(args[0])
            if command is None:
                return Reply(f"unknown command {args[0]!r}")
            return Reply(f"{args[0]}: {command.help}")
        width = max(len(name) for name in self.commands)
        return Reply("\n".join(f"{name:<{width}}  {c.help}" for name, c in self.commands.items()))

    def _status(self, args: list[str], user: str) -> Reply:
        return Reply(format_status(self.status()))

    def _keypad(self, args: list[str], user: str) -> Reply:
        if self.keypad is None:
            return Reply("this appliance has no front panel")
        try:
            if args == ["lock"]:
                self.keypad.lock(user)
            elif args == ["unlock"]:
                self.keypad.unlock(user)
            elif len(args) == 2 and args[0] == "pin":
                self.keypad.set_pin(args[1], user)
            elif args:
                return Reply("usage: keypad [lock | unlock | pin DIGITS]")
        except ValueError as exc:
            return Reply(f"error: {exc}")
        state = "locked" if self.keypad.locked else "unlocked"
        pin = "set" if self.keypad.has_pin else "not set"
        return Reply(f"keypad {state}, PIN {pin}")

    def _version(self, args: list[str], user: str) -> Reply:
        return Reply(f"timeserver {__version__} on {self.hostname}")
