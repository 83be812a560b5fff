"""How the staged changes are committed (`config commit`; `services` and `ntp rules` stage
through firmware/admin/staging.py): checked against the schema, refused when they would cut
off the session they came from unless asked for as a commit confirmed, and applied to the
running services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from firmware.admin.controls import Controls
from firmware.admin.cutoff import cutoff
from firmware.admin.shell import Session
from firmware.base.config import ConfigError
from firmware.base.config.rollback import PendingRollback
from firmware.base.events import Severity

DEFAULT_CONFIRM_S = 120
MAX_CONFIRM_S = 3600


@dataclass(frozen=True)
class Outcome:
    committed: bool
    text: str
    """Why not, or what the committing command should add to its answer."""


def commit(
    controls: Controls, session: Session, changes: Mapping[str, Any], confirm_s: int | None = None
) -> Outcome:
    """Commit `changes`; with `confirm_s`, as a commit confirmed that rolls back after that
    many seconds unless confirmed from another session.

    While a commit confirmed is pending, a commit from another session confirms it first (as
    in Junos); the session that made it may not commit again: its commits would otherwise
    hide whether the change cut it off.
    """
    commits = controls.commits
    pending = commits.pending
    if pending is not None and pending.session == session.number:
        return Outcome(False, _own_pending(pending, commits.clock.now_ns()))
    try:
        new = controls.store.preview(changes)
    except ConfigError as exc:
        return Outcome(False, "refused, nothing changed:\n" + "\n".join(exc.problems))
    reasons = cutoff(controls.store.config, new, session.origin)
    if reasons and confirm_s is None:
        return Outcome(False, _would_cut_off(reasons))
    notes = []
    if pending is not None:
        commits.confirm(session.user, session.source)
        notes.append(f"confirmed the pending commit of {pending.who} from {pending.source}")
    try:
        if confirm_s is None:
            controls.store.set(changes, session.user, session.source)
        else:
            why = "; ".join(reasons) or "asked for, though nothing is cut off"
            armed = commits.commit(
                changes, session.user, session.source, session.number, confirm_s, why
            )
            notes.append(
                f"rolls back at {armed.deadline_text()} ({confirm_s} s) unless confirmed from "
                "another session: log in again and type 'config confirm'"
            )
    except ConfigError as exc:
        return Outcome(False, "refused, nothing changed:\n" + "\n".join(exc.problems))
    controls.bus.emit(
        "config.committed", Severity.NOTICE,
        f"config committed by {session.user} from {session.source}: {', '.join(changes)}",
        {"user": session.user, "source": session.source},
    )  # fmt: skip
    controls.reload()
    return Outcome(True, "".join(f"\n{note}" for note in notes))


def confirm(controls: Controls, session: Session) -> Outcome:
    """`config confirm`, or a `config commit` with nothing staged: keep the pending change."""
    pending = controls.commits.pending
    if pending is None:
        return Outcome(False, "nothing to confirm")
    if pending.session == session.number:
        return Outcome(False, _own_pending(pending, controls.commits.clock.now_ns()))
    controls.commits.confirm(session.user, session.source)
    return Outcome(True, f"confirmed: the commit of {pending.who} from {pending.source} stays")


def confirm_seconds(args: list[str]) -> int:
    """SECONDS of `confirmed [SECONDS]` (default 120); ValueError when out of range."""
    if not args:
        return DEFAULT_CONFIRM_S
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= MAX_CONFIRM_S:
        return int(args[0])
    raise ValueError(f"confirmed takes the seconds to wait, 1..{MAX_CONFIRM_S} (default 120)")


def _would_cut_off(reasons: list[str]) -> str:
    """The refusal, with the command that applies the change anyway as a commit confirmed
    (the changes stay staged for it)."""
    lines = [
        "refused, nothing changed: this change would cut off this session:",
        *(f"  {reason}" for reason in reasons),
        "to apply it anyway, rolled back by itself unless confirmed from a new session:",
        f"  config commit confirmed [SECONDS]   (default {DEFAULT_CONFIRM_S})",
    ]
    return "\n".join(lines)


def _own_pending(pending: PendingRollback, now_ns: int) -> str:
    return (
        f"this session's commit confirmed rolls back at {pending.deadline_text()} "
        f"({pending.remaining_s(now_ns)} s left): confirm it from a new session "
        "('config confirm'), which shows the change did not lock you out, or let it roll back"
    )
