"""The asyncio adapter of the subagent: connects to snmpd's AgentX socket, feeds the
session bytes and sends what it answers; reconnects (and so re-registers) whenever the
connection or the session is lost, as when snmpd restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path

from firmware.base.events import EventBus, Severity
from services.snmp.agentx import VarBind
from services.snmp.subagent import SessionLost, State, Subagent

RETRY_FIRST_S = 0.1
RETRY_MAX_S = 1.0
READ_SIZE = 65536


class AgentxClient:
    def __init__(self, socket: Path, subagent: Subagent, events: EventBus) -> None:
        self.socket = socket
        self.subagent = subagent
        self.events = events
        self.sessions = 0
        self.writer: asyncio.StreamWriter | None = None
        self.notifications_lost = 0

    @property
    def registered(self) -> bool:
        return self.subagent.state is State.READY

    async def run(self) -> None:
        """Serve until cancelled, reconnecting after each loss."""
        delay = RETRY_FIRST_S
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(str(self.socket))
            except OSError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            delay = RETRY_FIRST_S
            why = await self._serve(reader, writer)
            self.subagent.state = State.CLOSED
            self.events.emit("snmp.subagent_lost", Severity.WARNING,
                             f"AgentX session with snmpd lost: {why}; reconnecting")  # fmt: skip
            await asyncio.sleep(delay)

    def notify(self, varbinds: Sequence[VarBind]) -> None:
        """Hand one notification to snmpd now; counted as lost while no session is open."""
        data = self.subagent.notify(varbinds)
        if not data or self.writer is None or self.writer.is_closing():
            self.notifications_lost += 1
            return
        self.writer.write(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        """One connection, until it is lost; returns why."""
        self.writer = writer
        try:
            writer.write(self.subagent.start())
            await writer.drain()
            while data := await reader.read(READ_SIZE):
                was_ready = self.registered
                answer = self.subagent.receive(data)
                if answer:
                    writer.write(answer)
                    await writer.drain()
                if self.registered and not was_ready:
                    self.sessions += 1
                    self.events.emit("snmp.subagent_registered", Severity.INFO,
                                     "AgentX subagent registered with snmpd")  # fmt: skip
            return "snmpd closed the connection"
        except SessionLost as exc:
            return str(exc)
        except OSError as exc:
            return str(exc) or type(exc).__name__
        finally:
            self.writer = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
