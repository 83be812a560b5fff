"""config show|set|diff|commit|confirm|discard: changes are checked and staged, then
committed as one, checked against cutting off the session, written atomically with the
file's comments kept, and audited."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import tomli_w

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.commit import commit, confirm, confirm_seconds
from firmware.admin.shell import Reply
from firmware.admin.staging import shown_value, stage
from firmware.base.config.keys import KEY_PATHS, holds_list
from firmware.base.config.store import redacted


def parse_value(text: str) -> Any:
    """A TOML value (true, 123, "x", ["a", "b"]), else a JSON one ([{"network": "..."}]);
    anything else is taken as a string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except (tomllib.TOMLDecodeError, RecursionError):
        pass
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def set_value(key: str, words: list[str]) -> Any:
    """The value of `config set KEY WORDS...`: a list key takes its items as words
    (`127.0.0.1 ::1`) or as one list (`'["127.0.0.1", "::1"]'`); any other key one word.
    ValueError for several words given to a key that takes one."""
    if holds_list(key) or key not in KEY_PATHS:
        values = [parse_value(word) for word in words]
        if len(values) == 1 and (isinstance(values[0], list) or not holds_list(key)):
            return values[0]
        return values
    if len(words) != 1:
        raise ValueError(f"{key} takes one value: quote a value that has spaces")
    return parse_value(words[0])


def config(call: Call) -> Reply:
    args, session, store = call.args, call.session, call.controls.store
    action = args[0] if args else "show"
    if action == "show":
        data: Any = redacted(store.config)
        for name in args[1].split(".") if len(args) > 1 else []:
            if not isinstance(data, dict) or name not in data:
                return Reply.failed(f"no key {args[1]!r}")
            data = data[name]
        return Reply(tomli_w.dumps(data).strip() if isinstance(data, dict) else json.dumps(data))
    if action == "set":
        if len(args) < 3:
            return Reply.usage("usage: config set KEY VALUE (a list: VALUE VALUE... or JSON)")
        try:
            value = set_value(args[1], args[2:])
        except ValueError as exc:
            return Reply.usage(f"usage: config set KEY VALUE: {exc}")
        return stage(call.controls, session, {args[1]: value})
    if action == "diff":
        if not session.staged:
            return Reply("nothing staged")
        current = redacted(store.config)
        lines = []
        for key, value in session.staged.items():
            old: Any = current
            for name in key.split("."):
                old = old.get(name) if isinstance(old, dict) else None
            lines.append(f"{key}: {json.dumps(old)} -> {shown_value(key, value)}")
        return Reply("\n".join(lines))
    if action == "commit":
        return _commit(call)
    if action == "confirm":
        return _confirm(call)
    if action == "discard":
        session.staged.clear()
        return Reply("staged changes discarded")
    return Reply.usage(f"usage: {USAGE}")


def _confirm(call: Call) -> Reply:
    outcome = confirm(call.controls, call.session)
    return Reply(outcome.text) if outcome.committed else Reply.failed(outcome.text)


def _commit(call: Call) -> Reply:
    """config commit [confirmed [SECONDS]]; with nothing staged, it confirms (as in Junos)."""
    session, args = call.session, call.args[1:]
    if args[:1] not in ([], ["confirmed"]):
        return Reply.usage(f"usage: {USAGE}")
    try:
        seconds = confirm_seconds(args[1:]) if args else None
    except ValueError as exc:
        return Reply.usage(f"usage: {exc}")
    if not session.staged:
        if call.controls.commits.pending is not None and seconds is None:
            return _confirm(call)
        return Reply("nothing staged")
    outcome = commit(call.controls, session, session.staged, seconds)
    if not outcome.committed:
        return Reply.failed(outcome.text)
    keys = ", ".join(session.staged)
    session.staged.clear()
    return Reply(f"committed {keys}{outcome.text}")


USAGE = (
    "config [show [KEY] | set KEY VALUE | diff | commit [confirmed [SECONDS]] | confirm | discard]"
)
HELP = (
    f"{USAGE}\n"
    "  Every change to the config is staged first: 'config set', 'services enable|disable'\n"
    "  and 'ntp rules add|remove' check it at once (an unknown key, a wrong type or a value\n"
    "  out of range is refused with the reason, and a mistyped key gets 'did you mean'),\n"
    "  then 'config diff' shows what is staged and 'config commit' applies it all as one.\n"
    "  A list is typed as words or as JSON: config set services.daytime.bind 127.0.0.1 ::1\n"
    "  The commit keeps the comments and layout of config.toml.\n"
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
