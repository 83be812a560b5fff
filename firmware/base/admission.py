"""Admission to a connection-oriented service: the access rules decide, and a refusal is a
security event (remote syslog gets the source address of every refused connection)."""

from __future__ import annotations

from firmware.base.access import AccessRules
from firmware.base.events import EventBus, Severity


def admit(access: AccessRules, events: EventBus, service: str, source: str) -> bool:
    """True when `source` may use `service`; a refusal is a security event."""
    if access.decide(source).allow:
        return True
    events.emit(
        f"{service}.refused", Severity.WARNING, f"{service} connection from {source} not allowed",
        {"source": source}, security=True,
    )  # fmt: skip
    return False
