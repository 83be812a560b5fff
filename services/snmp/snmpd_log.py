"""snmpd's log lines as the appliance's events: which kind and severity each line is, and a
cap so that a flood of bad requests cannot flood the event log (free of I/O; time passed in)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firmware.base.events import Severity

UNDECRYPTABLE = re.compile(r"^security service 3 error parsing ScopedPDU")
"""snmpd (net-snmp 5.9) on an authenticated SNMPv3 request whose scoped PDU it cannot read."""
UNDECRYPTABLE_KIND = "snmp.agent_undecryptable"


@dataclass(frozen=True)
class LogLine:
    kind: str
    severity: Severity
    message: str
    security: bool = False


# First match wins; a line no pattern names is an ordinary snmp.log event. snmpd only ever
# sees the front door's address, so its own word of a failed login is no security event:
# the front door reports the same failure with the source (snmp.auth_failed). An SNMPv3
# request that authenticates but whose scoped PDU does not decrypt (a wrong privacy
# passphrase: AES-CFB never fails, it yields garbage) gets no answer and no Report, and moves
# snmpInASNParseErrs, not usmStatsDecryptionErrors; this line is snmpd's only word of it.
PATTERNS: tuple[tuple[re.Pattern[str], str, Severity, bool], ...] = (
    (re.compile(r"^Authentication failed for "), "snmp.agent_auth_failed", Severity.INFO, False),
    (UNDECRYPTABLE, UNDECRYPTABLE_KIND, Severity.INFO, False),
    (re.compile(r"^Error opening specified endpoint"), "snmp.error", Severity.ERROR, False),
    (re.compile(r"^(Warning|warning):"), "snmp.warning", Severity.WARNING, False),
    (re.compile(r"error", re.IGNORECASE), "snmp.error", Severity.ERROR, False),
)

READY = re.compile(r"^NET-SNMP version ")
"""snmpd prints this once it listens on every address (or has given up on them)."""

MAX_LINE = 300


def classify(raw: bytes) -> LogLine | None:
    """The event for one line of snmpd's output; None for an empty line."""
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return None
    text = "".join(c if c.isprintable() else "?" for c in text[:MAX_LINE])
    for pattern, kind, severity, security in PATTERNS:
        if pattern.search(text):
            return LogLine(kind, severity, f"snmpd: {text}", security)
    return LogLine("snmp.log", Severity.INFO, f"snmpd: {text}")


class LogCap:
    """At most `limit` lines per `window_s`; the lines beyond are counted, and the count is
    reported with the first line let through after the window."""

    def __init__(self, limit: int = 20, window_s: float = 10.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self.window_start = float("-inf")
        self.passed = 0
        self.dropped = 0
        self.dropped_total = 0

    def admit(self, now: float) -> tuple[bool, int]:
        """Whether to let a line through at `now` (seconds), and how many were dropped
        since the last one let through (to report with it)."""
        if now - self.window_start >= self.window_s:
            self.window_start, self.passed = now, 0
        if self.passed >= self.limit:
            self.dropped += 1
            self.dropped_total += 1
            return False, 0
        self.passed += 1
        dropped, self.dropped = self.dropped, 0
        return True, dropped
