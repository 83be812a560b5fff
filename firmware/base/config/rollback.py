"""A commit that rolls back unless confirmed: the config before it, the deadline and who
asked, kept in the data directory so that a restart before the confirmation still rolls
back (the file is written before the new config, so no crash leaves an unguarded change)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from firmware.base.atomic_file import remove_stale_temporaries, write_atomic
from firmware.base.config.load import ConfigError, read_document

SECOND = 1_000_000_000
HEADER = (
    b"# A commit confirmed waits for 'config confirm'; without it, [previous] is restored\n"
    b"# (at the deadline, or at the next start). Written by the appliance; do not edit.\n"
)


@dataclass(frozen=True)
class PendingRollback:
    previous: dict[str, Any]
    """The config document as it was before the commit."""
    deadline_ns: int
    """Wall-clock time of the rollback, for people; the timer itself runs on a monotonic clock."""
    who: str
    source: str
    reason: str
    """What the commit would cut off, or that it was asked for without such a reason."""
    session: int
    """The session that committed: it cannot confirm (it proves nothing about reachability)."""
    config: str
    """The config file the rollback restores (a start with another --config leaves it)."""

    def remaining_s(self, now_ns: int) -> int:
        """Whole seconds left, rounded up; 0 once due."""
        return max(0, -(-(self.deadline_ns - now_ns) // SECOND))

    def deadline_text(self) -> str:
        moment = datetime.datetime.fromtimestamp(self.deadline_ns // SECOND, datetime.UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class RollbackFile:
    """The pending rollback on disk: at most one, replaced atomically, owner-only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, pending: PendingRollback) -> None:
        remove_stale_temporaries(self.path)
        data = {
            "deadline_ns": pending.deadline_ns, "who": pending.who, "source": pending.source,
            "reason": pending.reason, "session": pending.session, "config": pending.config,
            "previous": pending.previous,
        }  # fmt: skip
        write_atomic(self.path, HEADER + tomli_w.dumps(data).encode("utf-8"))

    def load(self) -> PendingRollback | None:
        """The pending rollback, None when there is none; ConfigError when unusable."""
        if not self.path.exists():
            return None
        data = read_document(self.path)
        try:
            pending = PendingRollback(
                data["previous"], data["deadline_ns"], data["who"], data["source"],
                data["reason"], data["session"], data["config"],
            )  # fmt: skip
        except KeyError as exc:
            raise ConfigError([f"{self.path}: {exc.args[0]} is missing"]) from exc
        kinds = (dict, int, str, str, str, int, str)
        values = (pending.previous, pending.deadline_ns, pending.who, pending.source,
                  pending.reason, pending.session, pending.config)  # fmt: skip
        if not all(isinstance(v, kind) for v, kind in zip(values, kinds, strict=True)):
            raise ConfigError([f"{self.path}: a key has the wrong type"])
        return pending

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
