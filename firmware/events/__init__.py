"""Events: emitted once, handed to stderr, the local event log and remote syslog."""

from firmware.events.bus import EventBus, Sink
from firmware.events.event import Event, Severity
from firmware.events.eventlog import EventLog
from firmware.events.stderr_log import StderrLog

__all__ = ["Event", "EventBus", "EventLog", "Severity", "Sink", "StderrLog"]
