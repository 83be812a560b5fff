"""One remote collector: a bounded queue of messages and the connection that drains it."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from urllib.parse import urlsplit

from firmware.base.events import EventBus, Severity
from services.syslog.message import frame_octet_counted, truncate_datagram

DEFAULT_PORTS = {"udp": 514, "tcp": 514, "tls": 6514}
RECONNECT_MAX = 30.0


class Target:
    """Messages wait in a bounded queue while the collector is away; the oldest go first
    when it overflows, and are counted. Putting a message in never blocks."""

    def __init__(
        self,
        url: str,
        limit: int,
        events: EventBus,
        tls: ssl.SSLContext | None,
        reconnect_initial: float = 1.0,
    ) -> None:
        parts = urlsplit(url)
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port or DEFAULT_PORTS[self.scheme]
        self.queue: deque[bytes] = deque(maxlen=limit)
        self.ready = asyncio.Event()
        self.events = events
        self.tls = tls
        self.connected: bool | None = None  # None until the first attempt
        self.sent = 0
        self.dropped = 0
        self.errors = 0
        self.last_error = ""
        self.reconnect_initial = reconnect_initial

    def put(self, message: bytes) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
        self.queue.append(message)
        self.ready.set()

    def status(self) -> dict[str, object]:
        return {
            "connected": bool(self.connected),
            "tried": self.connected is not None,
            "last_error": self.last_error,
            "sent": self.sent,
            "queued": len(self.queue),
            "capacity": self.queue.maxlen,
            "dropped": self.dropped,
            "errors": self.errors,
        }

    async def run(self) -> None:
        delay = self.reconnect_initial
        while True:
            try:
                if self.scheme == "udp":
                    await self._send_datagrams()
                else:
                    await self._send_stream()
                delay = self.reconnect_initial
            except (OSError, ssl.SSLError, EOFError, asyncio.IncompleteReadError) as exc:
                self.errors += 1
                self._set_connected(False, str(exc) or type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    async def _next(self) -> bytes:
        while not self.queue:
            self.ready.clear()
            await self.ready.wait()
        return self.queue[0]

    async def _send_datagrams(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=(self.host, self.port)
        )
        self._set_connected(True)
        try:
            while True:
                message = await self._next()
                transport.sendto(truncate_datagram(message))
                self.queue.popleft()
                self.sent += 1
        finally:
            transport.close()

    async def _send_stream(self) -> None:
        reader, writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.tls, server_hostname=self.host if self.tls else None
        )
        self._set_connected(True)
        closed = asyncio.create_task(reader.read(1))
        try:
            while True:
                waiting = asyncio.create_task(self._next())
                await asyncio.wait({waiting, closed}, return_when=asyncio.FIRST_COMPLETED)
                if closed.done():
                    waiting.cancel()
                    raise EOFError("collector closed the connection")
                writer.write(frame_octet_counted(waiting.result()))
                await writer.drain()
                self.queue.popleft()
                self.sent += 1
        finally:
            closed.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _set_connected(self, connected: bool, why: str = "") -> None:
        if why:
            self.last_error = why
        if connected == self.connected:
            return
        self.connected = connected
        if connected:
            self.events.emit(
                "syslog.connected", Severity.INFO, f"syslog collector {self.url} reachable"
            )
        else:
            self.events.emit(
                "syslog.unreachable",
                Severity.WARNING,
                f"syslog collector {self.url} unreachable: {why}; events wait in its queue",
            )
