"""Who else holds a UDP port: SO_REUSEPORT lets any process of the same user share the NTP
port, so after binding, the workers check /proc that every socket on it is the appliance's."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from pathlib import Path

PROC = Path("/proc")
TABLES: dict[int, Path] = {socket.AF_INET: PROC / "net/udp", socket.AF_INET6: PROC / "net/udp6"}


def _address(hexadecimal: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """A /proc/net/udp address: 32-bit words in host byte order."""
    words = [int(hexadecimal[n : n + 8], 16) for n in range(0, len(hexadecimal), 8)]
    return ipaddress.ip_address(b"".join(struct.pack("=I", word) for word in words))


def sockets_on(family: int, address: str, port: int) -> set[int]:
    """Inodes of the UDP sockets bound where a bind to (address, port) would collide."""
    wanted = ipaddress.ip_address(address)
    inodes = set()
    for line in TABLES[family].read_text().splitlines()[1:]:
        fields = line.split()
        local, local_port = fields[1].split(":")
        if int(local_port, 16) != port:
            continue
        bound = _address(local)
        if bound == wanted or bound.is_unspecified or wanted.is_unspecified:
            inodes.add(int(fields[9]))
    return inodes


def _socket_inodes(pid: str) -> set[int]:
    inodes = set()
    try:
        for fd in os.listdir(PROC / pid / "fd"):
            link = os.readlink(PROC / pid / "fd" / fd)
            if link.startswith("socket:["):
                inodes.add(int(link[8:-1]))
    except OSError:  # gone, or not ours to read
        pass
    return inodes


def _family() -> list[str]:
    """This worker and its siblings: the appliance's children."""
    parent = os.getppid()
    try:
        children = (PROC / f"{parent}/task/{parent}/children").read_text().split()
    except OSError:
        children = []
    return [str(os.getpid()), *children]


def _describe(pid: str) -> str:
    try:
        command = (PROC / pid / "cmdline").read_bytes().replace(b"\0", b" ").strip()
    except OSError:
        return f"pid {pid}"
    return f"pid {pid} ({command.decode(errors='replace')[:120]})"


def foreign_holder(family: int, address: str, port: int) -> str | None:
    """Who, other than the appliance's own workers, holds the port; None when nobody."""
    ours: set[int] = set()
    for pid in _family():
        ours |= _socket_inodes(pid)
    others = sockets_on(family, address, port) - ours
    if not others:
        return None
    for pid in (entry for entry in os.listdir(PROC) if entry.isdigit()):
        if _socket_inodes(pid) & others:
            return _describe(pid)
    return f"another program (socket inode {min(others)})"
