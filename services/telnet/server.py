"""The telnet service: option negotiation by telnetlib3, then a login session per connection
with the service's allow-list, the shared login guard and the idle timeout."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import telnetlib3
from telnetlib3.telopt import IP

from firmware.admin.login import LoginSession
from firmware.admin.shell import Origin, connection_origin
from firmware.base.access import AccessRules
from firmware.base.admission import admit
from firmware.base.config.schema import TelnetSection
from firmware.base.events import EventBus
from firmware.base.service import StartError


class TelnetService:
    name = "telnet"

    def __init__(
        self,
        section: TelnetSection,
        sessions: Callable[[Origin], LoginSession],
        events: EventBus,
        idle_timeout_s: int,
    ) -> None:
        self.section = section
        self.sessions = sessions
        self.events = events
        self.idle_timeout_s = idle_timeout_s
        self.access = AccessRules([], section.allow)
        self.server: Any = None
        self.closed = asyncio.Event()
        self.connections = 0

    async def start(self) -> None:
        self.closed = asyncio.Event()
        try:
            self.server = await telnetlib3.create_server(
                host=self.section.bind, port=self.section.port, shell=self._shell,
                encoding=False, timeout=self.idle_timeout_s,
            )  # fmt: skip
        except OSError as exc:
            places = ", ".join(self.section.bind)
            raise StartError(
                f"cannot listen on {places} port {self.section.port}/tcp: {exc}"
            ) from exc

    async def _shell(self, reader: Any, writer: Any) -> None:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else "?"
        if not admit(self.access, self.events, "telnet", source):
            writer.close()
            return
        self.connections += 1
        session = self.sessions(connection_origin("telnet", writer.get_extra_info))
        # A telnet client in line mode sends Ctrl-C as IAC IP, not as a byte of the stream.
        writer.set_iac_callback(IP, lambda _command: writer.write(session.interrupt()))
        writer.write(session.greeting())
        with contextlib.suppress(ConnectionError, TimeoutError):
            while not session.closed:
                data = await asyncio.wait_for(reader.read(1024), self.idle_timeout_s)
                if not data:
                    break
                writer.write(await session.feed(data))
                await writer.drain()
        writer.close()

    async def wait(self) -> None:
        await self.closed.wait()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()
            self.server = None

    def status(self) -> dict[str, object]:
        places = ", ".join(f"{a}:{self.section.port}" for a in self.section.bind)
        return {"listening": places, "connections": self.connections}
