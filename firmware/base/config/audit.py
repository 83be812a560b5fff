"""The audit log of changes: who, from where, which key, old and new value. Most entries are
config changes; accounts, NTP keys and the keypad lock, which live outside the config, are
entries of their own kind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from firmware.base.atomic_file import append_line

REDACTED = "<redacted>"


@dataclass(frozen=True)
class AuditEntry:
    time: str
    who: str
    source: str
    key: str
    old: object
    new: object
    kind: str = "config"
    """config, or what else changed: "account", "ntp-key", "keypad"."""


class AuditLog:
    """Append-only JSON lines; values of secret keys never reach the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(
        self,
        now_ns: int,
        who: str,
        source: str,
        key: str,
        old: object,
        new: object,
        kind: str = "config",
    ) -> AuditEntry:
        stamp = datetime.fromtimestamp(now_ns / 1e9, UTC).isoformat(timespec="milliseconds")
        entry = AuditEntry(stamp.replace("+00:00", "Z"), who, source, key, old, new, kind)
        append_line(self.path, json.dumps(asdict(entry), sort_keys=True))
        return entry

    def entries(self) -> Iterator[AuditEntry]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    yield AuditEntry(**json.loads(line))
                except (ValueError, TypeError):
                    continue
