"""Listening for the web service: the allow-list decides from the peer address alone, before
any TLS, so a refused client never gets a handshake; an admitted connection is secured, then
handed to aiohttp's request handler."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.web_runner import BaseRunner, BaseSite

HANDSHAKE_TIMEOUT_S = 10.0
EARLY_BYTES = 65536
"""What a client may send with the end of the handshake (its first request); more ends the
connection."""


@dataclass
class GateCounters:
    accepted: int = 0
    refused: int = 0
    handshake_failures: int = 0


@dataclass
class GateSettings:
    """What every connection of a site shares."""

    handler: Callable[[], asyncio.Protocol]
    tls: ssl.SSLContext | None
    admit: Callable[[str], bool]
    counters: GateCounters
    pending: set[asyncio.Task[None]] = field(default_factory=set)


class Gate(asyncio.Protocol):
    """One accepted connection until HTTP takes it over."""

    def __init__(self, settings: GateSettings) -> None:
        self.settings = settings
        self.early = bytearray()
        self.eof = False
        self.overflow = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        if not self.settings.admit(str(peer[0]) if peer else "?"):
            self.settings.counters.refused += 1
            transport.abort()
            return
        self.settings.counters.accepted += 1
        if self.settings.tls is None:
            self._hand_over(transport)
            return
        task = asyncio.create_task(self._secure(transport, self.settings.tls))
        self.settings.pending.add(task)
        task.add_done_callback(self.settings.pending.discard)

    async def _secure(self, transport: asyncio.Transport, tls: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        try:
            secured = await loop.start_tls(
                transport, self, tls, server_side=True, ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S
            )
        except OSError:  # bad handshakes, old protocol versions, timeouts, resets
            self.settings.counters.handshake_failures += 1
            transport.abort()
            return
        if secured is None or secured.is_closing():
            return
        if self.overflow:
            secured.abort()
            return
        self._hand_over(secured)

    def _hand_over(self, transport: asyncio.Transport) -> None:
        handler = self.settings.handler()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self.early:
            handler.data_received(bytes(self.early))
        if self.eof:
            handler.eof_received()

    def data_received(self, data: bytes) -> None:
        """Bytes that came with the end of the handshake, before the handler took over."""
        self.overflow = self.overflow or len(self.early) + len(data) > EARLY_BYTES
        if not self.overflow:
            self.early += data

    def eof_received(self) -> bool:
        self.eof = True
        return True


class GatedSite(BaseSite):
    """An aiohttp site on several addresses whose connections pass the gate first."""

    def __init__(self, runner: BaseRunner, hosts: list[str], port: int, settings: GateSettings):
        super().__init__(runner)
        self.hosts = hosts
        self.port = port
        self.settings = settings

    @property
    def name(self) -> str:
        scheme = "https" if self.settings.tls else "http"
        return f"{scheme}://[{','.join(self.hosts)}]:{self.port}"

    async def start(self) -> None:
        await super().start()
        self._server = await asyncio.get_running_loop().create_server(
            lambda: Gate(self.settings), self.hosts, self.port, reuse_address=True
        )

    async def stop(self) -> None:
        for task in list(self.settings.pending):
            task.cancel()
        await asyncio.gather(*self.settings.pending, return_exceptions=True)
        await super().stop()


def handler_factory(runner: web.AppRunner) -> Callable[[], asyncio.Protocol]:
    server = runner.server
    assert server is not None, "runner.setup() first"
    return server
