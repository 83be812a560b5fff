"""How every command that changes the config stages its change: checked at once, with the
rest of the session's staged changes, through the loader's own parse path (so `config set`,
`services enable` and `ntp rules add` refuse with the loader's one-line messages), then kept
in the session until `config commit` applies them as one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from firmware.admin.controls import Controls
from firmware.admin.cutoff import cutoff
from firmware.admin.shell import Reply, Session
from firmware.base.config import ConfigError
from firmware.base.config.audit import REDACTED
from firmware.base.config.keys import KEY_PATHS, near_misses
from firmware.base.config.schema import Config
from firmware.base.config.store import is_secret

APPLY = "'config commit' to apply"
# Tables can be set whole too (config set services.ntp.ratelimit '{burst = 8}').
KNOWN = frozenset(KEY_PATHS) | {p.rsplit(".", n)[0] for p in KEY_PATHS for n in range(1, 4)}


def stage(controls: Controls, session: Session, changes: Mapping[str, Any]) -> Reply:
    """Stage `changes` when the staged config as a whole would load; refuse them otherwise."""
    staged = {**session.staged, **changes}
    try:
        new = controls.store.preview(staged, source="")
    except ConfigError as exc:
        return Reply.failed(_refusal(exc.problems, changes))
    session.staged.update(changes)
    shown = ", ".join(f"{key} = {shown_value(key, value)}" for key, value in changes.items())
    lines = [f"staged {shown}; {APPLY}"]
    reasons = cutoff(controls.store.config, new, session.origin)
    if reasons:
        lines += [
            "note: committed, this would cut off this session:",
            *(f"  {reason}" for reason in reasons),
            "  'config commit confirmed [SECONDS]' applies it with a rollback unless confirmed",
        ]
    return Reply("\n".join(lines))


def shown_value(key: str, value: Any) -> str:
    """A staged value as JSON, or the redaction mark for a secret key."""
    return json.dumps(REDACTED if is_secret(Config, key) else value)


def _refusal(problems: list[str], changes: Mapping[str, Any]) -> str:
    guesses = [
        f"did you mean {near_misses(key, 1)[0]}?"
        for key in changes
        if key not in KNOWN and near_misses(key, 1)
    ]
    if len(problems) == 1:
        return "\n".join([f"refused, not staged: {problems[0]}", *guesses])
    return "\n".join(["refused, not staged:", *(f"  {line}" for line in problems), *guesses])
