"""Events: emitted once, handed to stderr, the local event log and remote syslog."""

from firmware.base.events.bus import EventBus, Sink
from firmware.base.events.event import Event, Severity
from firmware.base.events.eventlog import EventLog
from firmware.base.events.stderr_log import StderrLog

__all__ = ["Event", "EventBus", "EventLog", "Severity", "Sink", "StderrLog"]
