"""The SNMP front door's sockets: it listens where [services.snmp] says, hands each datagram
the FrontDoor lets through to snmpd on a loopback port, from one socket per source so that
snmpd's answer finds its way back, and turns the failed logins in snmpd's answers into
security events with the source address (capped, like snmpd's own lines)."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import cast

from firmware.base.events import EventBus, Severity
from firmware.base.service import StartError
from firmware.base.udp_socket import bound_udp_socket
from services.snmp.front_door import Failure, FrontDoor, Verdict
from services.snmp.snmpd_log import LogCap

Peer = tuple[str, int]
MAX_SOURCES = 1024
"""Sources with a socket open towards snmpd at once; the one heard from longest ago goes."""
IDLE_S = 60.0


class Inbound(asyncio.DatagramProtocol):
    """One listening address."""

    def __init__(self, door: FrontDoorServer) -> None:
        self.door = door
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, peer: Peer) -> None:
        if self.transport is not None:
            self.door.received(self.transport, data, peer)


class Outbound(asyncio.DatagramProtocol):
    """The socket towards snmpd for one source: its answers go back to that source."""

    def __init__(self, door: FrontDoorServer, inbound: asyncio.DatagramTransport, peer: Peer):
        self.door, self.inbound, self.peer = door, inbound, peer
        self.transport: asyncio.DatagramTransport | None = None
        self.last_used = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, _: Peer) -> None:
        self.door.answered(self, data)


class FrontDoorServer:
    def __init__(
        self, door: FrontDoor, binds: Sequence[str], port: int, agent: Peer, events: EventBus
    ) -> None:
        self.door = door
        self.binds, self.port, self.agent = list(binds), port, agent
        self.events = events
        self.listeners: list[asyncio.DatagramTransport] = []
        self.sources: OrderedDict[Peer, Outbound] = OrderedDict()
        self.pending: set[Peer] = set()
        self.refused_cap, self.failure_cap = LogCap(), LogCap()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for address in self.binds:
            try:
                sock = bound_udp_socket(address, self.port)
                transport, _ = await loop.create_datagram_endpoint(lambda: Inbound(self), sock=sock)
            except OSError as exc:
                self.stop()
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                where = f"[{address}]" if ":" in address else address
                raise StartError(f"cannot listen on {where}:{self.port}: {reason}") from exc
            self.listeners.append(transport)

    def stop(self) -> None:
        for transport in self.listeners:
            transport.close()
        for outbound in self.sources.values():
            if outbound.transport is not None:
                outbound.transport.close()
        self.listeners, self.sources = [], OrderedDict()

    def received(self, inbound: asyncio.DatagramTransport, data: bytes, peer: Peer) -> None:
        verdict = self.door.request(peer[0], data, time.monotonic_ns())
        if verdict == Verdict.REFUSED:
            self._refused(peer[0])
        if verdict != Verdict.FORWARD:
            return
        outbound = self.sources.get(peer)
        if outbound is not None and outbound.transport is not None:
            self.sources.move_to_end(peer)
            outbound.last_used = time.monotonic()
            outbound.transport.sendto(data)
        elif peer not in self.pending:
            self.pending.add(peer)
            asyncio.get_running_loop().create_task(self._open(inbound, peer, data))

    async def _open(self, inbound: asyncio.DatagramTransport, peer: Peer, first: bytes) -> None:
        """A socket towards snmpd for a new source, then its first datagram."""
        try:
            self._make_room()
            transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: Outbound(self, inbound, peer), remote_addr=self.agent
            )
        except OSError as exc:
            self.events.emit("snmp.error", Severity.ERROR, f"SNMP front door: {exc}")
            return
        finally:
            self.pending.discard(peer)
        self.sources[peer] = protocol
        transport.sendto(first)

    def _make_room(self) -> None:
        now = time.monotonic()
        while self.sources:
            peer, oldest = next(iter(self.sources.items()))
            if len(self.sources) < MAX_SOURCES and now - oldest.last_used < IDLE_S:
                break
            del self.sources[peer]
            if oldest.transport is not None:
                oldest.transport.close()

    def answered(self, outbound: Outbound, data: bytes) -> None:
        failure = self.door.reply(outbound.peer[0], data)
        if failure is not None:
            self._failed(failure)
        if not outbound.inbound.is_closing():
            outbound.inbound.sendto(data, outbound.peer)

    def undecryptable(self) -> None:
        """snmpd said it could not decrypt a request: a failed login, named with its source."""
        failure = self.door.undecryptable(time.monotonic_ns())
        if failure is not None:
            self._failed(failure)

    def _refused(self, source: str) -> None:
        allowed, dropped = self.refused_cap.admit(time.monotonic())
        if allowed:
            more = f" ({dropped} more not logged)" if dropped else ""
            self.events.emit("snmp.refused", Severity.WARNING,
                             f"SNMP request from {source} not allowed{more}",
                             {"source": source}, security=True)  # fmt: skip

    def _failed(self, failure: Failure) -> None:
        allowed, dropped = self.failure_cap.admit(time.monotonic())
        if allowed:
            more = f" ({dropped} more not logged)" if dropped else ""
            self.events.emit("snmp.auth_failed", Severity.WARNING, failure.message + more,
                             {"source": failure.source, "user": failure.user},
                             security=True)  # fmt: skip

    def status(self) -> dict[str, int]:
        return {**self.door.counters, "sources": len(self.sources)}


def free_loopback_port() -> int:
    """A UDP port on 127.0.0.1 free at the time of asking, for snmpd to listen on behind
    the front door (if another program takes it first, snmpd fails to start and the
    supervisor starts the service again, with a new port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
