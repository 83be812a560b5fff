"""config show|set|diff|commit|confirm|discard: changes are staged, then committed as one,
checked against the schema (and against cutting off the session), written atomically and
audited."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import tomli_w

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.commit import commit, confirm, confirm_seconds
from firmware.admin.shell import Reply
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
        return _commit(call)
    if action == "confirm":
        return Reply(confirm(call.controls, session))
    if action == "discard":
        session.staged.clear()
        return Reply("staged changes discarded")
    return Reply(f"usage: {USAGE}")


def _commit(call: Call) -> Reply:
    """config commit [confirmed [SECONDS]]; with nothing staged, it confirms (as in Junos)."""
    session, args = call.session, call.args[1:]
    if args[:1] not in ([], ["confirmed"]):
        return Reply(f"usage: {USAGE}")
    seconds = confirm_seconds(args[1:]) if args else None
    if not session.staged:
        if call.controls.commits.pending is not None and seconds is None:
            return Reply(confirm(call.controls, session))
        return Reply("nothing staged")
    outcome = commit(call.controls, session, session.staged, seconds)
    if not outcome.committed:
        return Reply(outcome.text)
    keys = ", ".join(session.staged)
    session.staged.clear()
    return Reply(f"committed {keys}{outcome.text}")


USAGE = (
    "config [show [KEY] | set KEY VALUE | diff | commit [confirmed [SECONDS]] | confirm | discard]"
)
HELP = (
    f"{USAGE}\n"
    "  A change that would cut off this session (SSH or telnet disabled, moved, no longer\n"
    "  listening where you came in, or no longer allowing your address) is refused unless\n"
    "  committed with 'confirmed': it is then rolled back after SECONDS (default 120)\n"
    "  unless someone confirms it from a new session with 'config confirm' (or a\n"
    "  'config commit' with nothing staged). A further commit from another session\n"
    "  confirms it too; a restart before the confirmation rolls it back."
)

COMMANDS = {
    "config": Command(
        HELP,
        config,
        writes=("set", "commit", "confirm"),
        subcommands=("show", "set", "diff", "commit", "confirm", "discard"),
    ),  # fmt: skip
}
