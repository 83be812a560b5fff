"""One server for both old services: a TCP listener and a UDP socket per bound address,
with the service's allow-list, and per-client rate limiting on UDP (any datagram asks)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import Callable
from typing import cast

from firmware.base.access import AccessRules
from firmware.base.config.schema import ServiceSection
from firmware.base.ratelimit import ClientTable
from firmware.base.service import StartError
from firmware.base.udp_socket import bound_udp_socket
from hal.clock import Clock

UDP_INTERVAL_S, UDP_BURST, UDP_CLIENTS = 1.0, 4, 10_000


class UdpAnswers(asyncio.DatagramProtocol):
    def __init__(self, server: SimpleTimeServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport is not a DatagramTransport subclass.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, peer: tuple[str, int]) -> None:
        answer = self.server.answer_datagram(peer[0])
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, peer)


class SimpleTimeServer:
    def __init__(
        self, name: str, section: ServiceSection, clock: Clock, render: Callable[[int], bytes]
    ) -> None:
        self.name = name
        self.section = section
        self.clock = clock
        self.render = render
        self.access = AccessRules([], section.allow)
        self.limiter = ClientTable(UDP_INTERVAL_S, UDP_BURST, 0, UDP_CLIENTS, random.Random())
        self.servers: list[asyncio.Server] = []
        self.transports: list[asyncio.DatagramTransport] = []
        self.counters = {"tcp": 0, "udp": 0, "denied": 0, "rate_limited": 0}
        self.closed: asyncio.Event = asyncio.Event()

    async def start(self) -> None:
        self.closed = asyncio.Event()
        loop = asyncio.get_running_loop()
        for address in self.section.bind:
            where = f"[{address}]" if ":" in address else address
            try:
                udp = bound_udp_socket(address, self.section.port)
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: UdpAnswers(self), sock=udp
                )
                self.transports.append(transport)
                self.servers.append(
                    await asyncio.start_server(
                        self._tcp, address, self.section.port, reuse_address=True
                    )
                )
            except OSError as exc:
                await self.stop()
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                raise StartError(f"cannot listen on {where}:{self.section.port}: {reason}") from exc

    def answer_datagram(self, address: str) -> bytes | None:
        if not self.access.decide(address).allow:
            self.counters["denied"] += 1
            return None
        now = self.clock.now_ns()
        if not self.limiter.admit(address, now):
            self.counters["rate_limited"] += 1
            return None
        self.counters["udp"] += 1
        return self.render(now)

    async def _tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if peer and self.access.decide(peer[0]).allow:
            self.counters["tcp"] += 1
            writer.write(self.render(self.clock.now_ns()))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        else:
            self.counters["denied"] += 1
        writer.close()

    async def wait(self) -> None:
        await self.closed.wait()

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        for transport in self.transports:
            transport.close()
        self.servers, self.transports = [], []

    def status(self) -> dict[str, object]:
        return dict(self.counters)
