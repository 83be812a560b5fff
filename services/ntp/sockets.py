"""A worker's UDP sockets: its own on the shared port (SO_REUSEPORT, among the appliance's
workers only), each with kernel receive timestamps, and those timestamps read back from a
datagram's ancillary data."""

from __future__ import annotations

import errno
import os
import socket
import struct
from typing import Any

from firmware.base.config.schema import NtpSection
from services.ntp.port_holders import foreign_holder

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("@qq")


def open_sockets(config: NtpSection) -> list[socket.socket]:
    sockets = []
    for address in config.bind:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sockets.append(sock)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:
            sock.bind((address, config.port))
            holder = foreign_holder(family, address, config.port)
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            if exc.errno == errno.EADDRINUSE and (
                holder := foreign_holder(family, address, config.port)
            ):
                reason += f" (by {holder})"
        else:
            reason = f"in use by {holder}" if holder else ""
        if reason:
            for opened in sockets:
                opened.close()
            where = f"[{address}]" if family == socket.AF_INET6 else address
            raise OSError(f"cannot listen on {where}:{config.port}/udp: {reason}")
        sock.setblocking(False)
    return sockets


def receive_stamp(ancillary: list[tuple[int, int, Any]]) -> int | None:
    """Host realtime nanoseconds the kernel stamped a datagram with, if it did."""
    if ancillary and ancillary[0][1] == SO_TIMESTAMPNS:
        seconds, nanoseconds = TIMESPEC.unpack_from(ancillary[0][2])
        return int(seconds) * 1_000_000_000 + int(nanoseconds)
    return None
