"""The NTP service's asyncio adapter: owns the UDP sockets, takes kernel receive timestamps
(SO_TIMESTAMPNS), hands requests to the engine and stamps the transmit time last."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from firmware import __version__
from firmware.config.schema import NtpSection
from firmware.service import StartError
from firmware.timing.sync_state import SyncState
from services.ntp.engine import PRECISION, Engine, finish
from services.ntp.keyring import KeyRing
from services.ntp.keys import KeysFileError
from services.ntp.packet import ns_to_ntp

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("@qq")
BATCH = 64
REFRESH_S = 0.1


class ServedClock(Protocol):
    """What the adapter needs of the timing layer (firmware/timing provides it)."""

    def now_ns(self) -> int: ...

    def to_served(self, host_ns: int) -> int: ...


class NtpServer:
    name = "ntp"

    def __init__(
        self,
        config: NtpSection,
        keys_file: Path,
        clock: ServedClock,
        sync_state: Callable[[], SyncState],
        reuse_port: bool = False,
    ) -> None:
        self.config = config
        self.clock = clock
        self.sync_state = sync_state
        self.reuse_port = reuse_port
        try:
            self.keyring = KeyRing(keys_file, config.trusted_keys)
        except (KeysFileError, OSError) as exc:
            raise StartError(f"NTP keys: {exc}") from exc
        self.engine = Engine(config, self.keyring.lookup, self._variables)
        self.sockets: list[socket.socket] = []
        self.refresher: asyncio.TimerHandle | None = None
        self.failed: asyncio.Future[None] | None = None
        self.key_errors = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.failed = loop.create_future()
        self._refresh()
        for address in self.config.bind:
            sock = self._open(address)
            self.sockets.append(sock)
            loop.add_reader(sock.fileno(), self._readable, sock)

    def _open(self, address: str) -> socket.socket:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if self.reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.bind((address, self.config.port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            where = f"[{address}]" if family == socket.AF_INET6 else address
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            self._close_all()
            raise StartError(f"cannot listen on {where}:{self.config.port}/udp: {reason}") from exc
        return sock

    def _readable(self, sock: socket.socket) -> None:
        engine, clock = self.engine, self.clock
        for _ in range(BATCH):
            try:
                data, ancillary, _flags, peer = sock.recvmsg(2048, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            host_ns = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = TIMESPEC.unpack_from(value)
                    host_ns = seconds * 1_000_000_000 + nanoseconds
            receive = clock.to_served(host_ns) if host_ns is not None else clock.now_ns()
            reply = engine.handle(data, peer[0], receive)
            if reply is None:
                continue
            for packet in finish(reply, clock.now_ns()):
                with contextlib.suppress(OSError):
                    sock.sendto(packet, peer)

    def _refresh(self) -> None:
        """Ten times a second: sync state into the reply template; the keys file if changed."""
        state = self.sync_state()
        reference = self.clock.to_served(state.last_pps_ns) if state.last_pps_ns else 0
        self.engine.update(state, reference)
        try:
            self.keyring.reload()
        except (KeysFileError, OSError):
            self.key_errors += 1
        self.state = state
        self.refresher = asyncio.get_running_loop().call_later(REFRESH_S, self._refresh)

    def _variables(self) -> dict[str, str]:
        """The system variables `ntpq -c rv` shows; times in milliseconds as ntpd gives them."""
        state = self.state
        reference = self.clock.to_served(state.last_pps_ns) if state.last_pps_ns else 0
        return {
            "version": f'"timeserver {__version__}"',
            "processor": f'"{platform.machine()}"',
            "system": f'"{platform.system()}"',
            "leap": f"{int(state.leap):02b}",
            "stratum": str(state.stratum),
            "precision": str(PRECISION),
            "rootdelay": "0.000",
            "rootdisp": f"{state.root_dispersion_ns / 1e6:.3f}",
            "refid": state.refid,
            "reftime": _hex_stamp(ns_to_ntp(reference)),
            "clock": _hex_stamp(ns_to_ntp(self.clock.now_ns())),
            "frequency": f"{state.frequency_ppm:.3f}",
            "sys_jitter": f"{state.est_error_ns / 1e6:.6f}",
            "sync_state": f'"{state.state.value}"',
        }

    async def wait(self) -> None:
        assert self.failed is not None
        await self.failed

    def _close_all(self) -> None:
        loop = asyncio.get_running_loop()
        for sock in self.sockets:
            loop.remove_reader(sock.fileno())
            sock.close()
        self.sockets = []

    async def stop(self) -> None:
        if self.refresher is not None:
            self.refresher.cancel()
            self.refresher = None
        self._close_all()
        if self.failed is not None and not self.failed.done():
            self.failed.cancel()

    def status(self) -> dict[str, object]:
        ports = ", ".join(f"{a}:{self.config.port}" for a in self.config.bind)
        return {"listening": ports, "keys": len(self.keyring.keys), **self.engine.counters}


def _hex_stamp(timestamp: int) -> str:
    return f"0x{timestamp >> 32:08x}.{timestamp & 0xFFFFFFFF:08x}"
