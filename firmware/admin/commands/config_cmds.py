"""config show|set|diff|commit|discard: changes are staged, then committed as one, checked
against the schema, written atomically and audited."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import tomli_w

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.shell import Reply
from firmware.base.config import ConfigError
from firmware.base.config.store import redacted


def parse_value(text: str) -> Any:
    """A TOML value (true, 123, "x", ["a", "b"]); anything else is taken as a string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text


def config(call: Call) -> Reply:
    args, session, store = call.args, call.session, call.controls.store
    action = args[0] if args else "show"
    if action == "show":
        data: Any = redacted(store.config)
        for name in args[1].split(".") if len(args) > 1 else []:
            if not isinstance(data, dict) or name not in data:
                return Reply(f"no key {args[1]!r}")
            data = data[name]
        return Reply(tomli_w.dumps(data).strip() if isinstance(data, dict) else json.dumps(data))
    if action == "set":
        if len(args) != 3:
            return Reply("usage: config set KEY VALUE")
        session.staged[args[1]] = parse_value(args[2])
        return Reply(f"staged {args[1]} = {json.dumps(session.staged[args[1]])}; 'config commit'")
    if action == "diff":
        if not session.staged:
            return Reply("nothing staged")
        current = redacted(store.config)
        lines = []
        for key, value in session.staged.items():
            old: Any = current
            for name in key.split("."):
                old = old.get(name) if isinstance(old, dict) else None
            lines.append(f"{key}: {json.dumps(old)} -> {json.dumps(value)}")
        return Reply("\n".join(lines))
    if action == "commit":
        if not session.staged:
            return Reply("nothing staged")
        try:
            store.set(session.staged, session.user, session.source)
        except ConfigError as exc:
            return Reply("refused, nothing changed:\n" + "\n".join(exc.problems))
        keys = ", ".join(session.staged)
        session.staged.clear()
        call.controls.reload()
        return Reply(f"committed {keys}")
    if action == "discard":
        session.staged.clear()
        return Reply("staged changes discarded")
    return Reply("usage: config [show [KEY] | set KEY VALUE | diff | commit | discard]")


COMMANDS = {
    "config": Command(
        "config [show [KEY] | set KEY VALUE | diff | commit | discard]",
        config,
        writes=("set", "commit"),
        subcommands=("show", "set", "diff", "commit", "discard"),
    ),  # fmt: skip
}
