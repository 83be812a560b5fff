"""The command interpreter every console shares: a line in, text out, no I/O.

Commands live in small modules (system, config, accounts, devices, ntp), each a dict of
name -> Command; this module dispatches (unique prefixes of commands and subcommands work, as
in Junos: `stat` is `status`), checks roles, completes and explains.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from firmware.admin.config_keys import Choice
from firmware.admin.controls import Controls
from firmware.admin.shell import Reply, Session
from firmware.base.events import Severity

HINT = "<"
"""A choice starting with this is shown by `?` but never typed in by Tab: `<value>`."""
RUN_IT = ("<Enter>", "run the command as it stands")


@dataclass(frozen=True)
class Call:
    controls: Controls
    session: Session
    args: list[str]

    def audit(self, kind: str, key: str, old: object, new: object) -> None:
        """Put a change made outside the config (an account, an NTP key) in the audit log,
        with who made it and from where; never a secret."""
        store = self.controls.store
        now = store.clock.now_ns()
        store.audit.record(now, self.session.user, self.session.source, key, old, new, kind)


Handler = Callable[[Call], Reply]
Arguments = Callable[[Controls, list[str], str], list[Choice]]
"""What may follow a command's words so far (subcommands written out), given the word being
typed: user names, config keys, scenario names, with a note each."""


@dataclass(frozen=True)
class Command:
    help: str
    run: Handler
    writes: bool | tuple[str, ...] = False
    """True, or the subcommands ("add", or "keys add") that change something; monitors may
    not run those."""
    subcommands: tuple[str, ...] = ()
    """Words that may follow the command, a level at a time: "keys", "keys add"."""

    def changes(self, args: list[str]) -> bool:
        if isinstance(self.writes, bool):
            return self.writes
        return any(args[: len(words.split())] == words.split() for words in self.writes)

    def subcommands_after(self, words: list[str]) -> list[str]:
        """The subcommands that may follow these words (already written out)."""
        depth, found = len(words), []
        for entry in self.subcommands:
            parts = entry.split()
            if len(parts) > depth and parts[:depth] == words and parts[depth] not in found:
                found.append(parts[depth])
        return found


class Interpreter:
    def __init__(
        self,
        controls: Controls,
        commands: dict[str, Command],
        arguments: Mapping[str, Arguments] | None = None,
        examples: Mapping[str, str] | None = None,
    ) -> None:
        self.controls = controls
        self.commands = dict(commands)
        self.commands["help"] = Command(
            "list the commands, or explain one: help COMMAND", self._help
        )
        self.arguments = dict(arguments or {})
        self.arguments["help"] = self._help_arguments
        self.examples = dict(examples or {})

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
        resolved = self.resolve(words)
        if isinstance(resolved, str):
            return Reply.usage(resolved)
        name, *args = resolved
        command = self.commands[name]
        if command.changes(args) and session.role != "admin":
            self.controls.bus.emit(
                "admin.denied", Severity.WARNING,
                f"{session.user} ({session.role}) may not run: {name} {' '.join(args[:1])}",
                {"user": session.user, "source": session.source}, security=True,
            )  # fmt: skip
            return Reply.failed("permission denied: a monitor account may only read")
        try:
            return command.run(Call(self.controls, session, args))
        except ValueError as exc:
            return Reply.failed(f"error: {exc}")

    def resolve(self, words: list[str]) -> list[str] | str:
        """The words with unique prefixes of the command and its subcommands written out, or
        why they cannot be (unknown, or ambiguous with the candidates)."""
        name = _match(words[0], list(self.commands))
        if name is None:
            return f"unknown command {words[0]!r}; type 'help' for the list"
        if isinstance(name, list):
            return f"ambiguous command {words[0]!r}: {', '.join(name)}"
        command, args = self.commands[name], list(words[1:])
        for depth, word in enumerate(args):
            found = _match(word, command.subcommands_after(args[:depth]))
            if found is None:
                break  # not a subcommand: an argument, which the command checks
            if isinstance(found, list):
                where = " ".join([name, *args[:depth]])
                return f"ambiguous {where} {word!r}: {', '.join(found)}"
            args[depth] = found
        return [name, *args]

    def choices(self, text: str) -> list[Choice]:
        """What may come at the end of a partly typed line, with a note each."""
        *before, partial = text.split(" ")
        before = [word for word in before if word]
        if not before:
            return [
                (name, command.help.splitlines()[0])
                for name, command in sorted(self.commands.items())
                if name.startswith(partial.lower())
            ]
        resolved = self.resolve(before)
        if isinstance(resolved, str):
            return []
        name, *args = resolved
        offered = [(word, "") for word in self.commands[name].subcommands_after(args)]
        if name in self.arguments:
            offered += self.arguments[name](self.controls, args, partial)
        return [
            (word, note)
            for word, note in offered
            if word.lower().startswith(partial.lower()) or word.startswith(HINT)
        ]

    def complete(self, text: str) -> list[str]:
        """The line as Tab may complete it: each choice written in place of the last word,
        with a space after it unless it is a config section (it ends in a dot)."""
        head = text[: text.rfind(" ") + 1]
        return [
            head + word + ("" if word.endswith(".") else " ")
            for word, _ in self.choices(text)
            if not word.startswith(HINT)
        ]

    def describe(self, text: str) -> list[str]:
        """What `?` shows: each choice and its note; <Enter> when the line can run as is."""
        choices = self.choices(text)
        words = text.split()
        if text.endswith(" ") and words and not isinstance(self.resolve(words), str):
            choices.append(RUN_IT)
        if not choices:
            return ["nothing fits here; 'help' lists the commands"]
        width = max(len(word) for word, _ in choices)
        return [f"  {word:<{width}}  {note}".rstrip() for word, note in choices]

    def _help_arguments(self, controls: Controls, args: list[str], partial: str) -> list[Choice]:
        if args:
            return []
        return [(name, c.help.splitlines()[0]) for name, c in sorted(self.commands.items())]

    def _help(self, call: Call) -> Reply:
        if call.args:
            resolved = self.resolve(call.args[:1])
            if isinstance(resolved, str):
                return Reply.usage(resolved)
            name = resolved[0]
            text = f"{name}: {self.commands[name].help}"
            example = self.examples.get(name)
            if example:
                text += "\nexample:\n" + "\n".join(f"  {line}" for line in example.splitlines())
            return Reply(text)
        width = max(len(name) for name in self.commands)
        lines = [
            f"{name:<{width}}  {c.help.splitlines()[0]}"
            for name, c in sorted(self.commands.items())
        ]
        lines.append(
            "\nTab completes, ? lists what fits here, a unique prefix is enough (stat = status);"
            "\n'help COMMAND' explains a command with an example."
        )
        return Reply("\n".join(lines))


def _match(word: str, names: list[str]) -> str | list[str] | None:
    """The one name that is `word` or starts with it; the candidates when several do."""
    word = word.lower()
    if word in names:
        return word
    found = [name for name in names if name.startswith(word)]
    if len(found) == 1:
        return found[0]
    return sorted(found) or None
