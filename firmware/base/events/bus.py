"""Where events are emitted and handed to every sink: stderr, event log, syslog, traps."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from firmware.base.events.event import Event, Severity
from hal.clock import Clock

Sink = Callable[[Event], None]


class EventBus:
    """Sinks must not block; a sink that raises is counted and the others still get the event."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sinks: list[Sink] = []
        self.sink_failures = 0

    def subscribe(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def unsubscribe(self, sink: Sink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)

    def emit(
        self,
        kind: str,
        severity: Severity,
        message: str,
        fields: Mapping[str, str] | None = None,
        security: bool = False,
    ) -> Event:
        event = Event(self.clock.now_ns(), kind, severity, message, dict(fields or {}), security)
        for sink in list(self.sinks):
            try:
                sink(event)
            except Exception:
                self.sink_failures += 1
        return event
