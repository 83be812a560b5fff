"""snmpd's log lines as events, and the cap on how many reach the event log."""

import pytest

from firmware.base.events import Severity
from services.snmp.snmpd_log import LogCap, classify


@pytest.mark.parametrize(
    ("raw", "kind", "severity", "security"),
    [
        (b"Authentication failed for nms\n", "snmp.agent_auth_failed", Severity.INFO, False),
        (b"security service 3 error parsing ScopedPDU\n", "snmp.agent_undecryptable",
         Severity.INFO, False),
        (b'Error opening specified endpoint "udp:127.0.0.1:161"\n', "snmp.error",
         Severity.ERROR, False),
        (b"Warning: no access control information configured.\n", "snmp.warning",
         Severity.WARNING, False),
        (b"Received TERM or STOP signal...  shutting down...\n", "snmp.log", Severity.INFO,
         False),
    ],
)  # fmt: skip
def test_lines_become_events(raw: bytes, kind: str, severity: Severity, security: bool) -> None:
    line = classify(raw)
    assert line is not None
    assert (line.kind, line.severity, line.security) == (kind, severity, security)
    assert line.message == "snmpd: " + raw.decode().strip()


def test_control_characters_and_long_lines_are_tamed() -> None:
    line = classify(b"Authentication failed for \x1b[2J\xff" + b"x" * 1000)
    assert line is not None
    assert "\x1b" not in line.message and len(line.message) < 320
    assert classify(b"  \n") is None


def test_the_cap_counts_what_it_drops_and_reports_it_later() -> None:
    cap = LogCap(limit=3, window_s=10.0)
    assert [cap.admit(100.0 + i * 0.1) for i in range(5)] == [
        (True, 0), (True, 0), (True, 0), (False, 0), (False, 0)]  # fmt: skip
    assert cap.admit(110.0) == (True, 2)
    assert cap.admit(110.1) == (True, 0)
    assert cap.dropped_total == 2
