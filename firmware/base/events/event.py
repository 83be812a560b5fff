"""An event: something that happened on the appliance, with a syslog severity."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum


class Severity(IntEnum):
    """RFC 5424 severities."""

    EMERGENCY = 0
    ALERT = 1
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7


@dataclass(frozen=True)
class Event:
    time_ns: int
    kind: str
    severity: Severity
    message: str
    fields: Mapping[str, str] = field(default_factory=dict)
    security: bool = False

    def timestamp(self) -> str:
        """RFC 3339 UTC with microseconds, as RFC 5424 and the event log write it."""
        seconds, ns = divmod(self.time_ns, 1_000_000_000)
        stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{stamp}.{ns // 1000:06d}Z"

    def to_json(self) -> str:
        return json.dumps(
            {
                "time": self.timestamp(),
                "kind": self.kind,
                "severity": self.severity.name.lower(),
                "message": self.message,
                "fields": dict(self.fields),
                "security": self.security,
            },
            sort_keys=True,
        )
