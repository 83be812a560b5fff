"""PTP's two UDP/IPv4 sockets on one interface: the event port (319) with kernel transmit
timestamps read from the error queue and receive timestamps, and the general port (320);
both in the PTP multicast group 224.0.1.129. Software stamps: SO_TIMESTAMPING transmit
software plus SO_TIMESTAMPNS; hardware stamps: SO_TIMESTAMPING transmit, receive and raw
hardware, read from the third timespec of SCM_TIMESTAMPING (on the NIC's PHC timescale).

Linux only: the constants below are the kernel's (include/uapi/asm-generic/socket.h,
linux/net_tstamp.h), which Python's socket module does not all name.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUP = "224.0.1.129"
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SO_TIMESTAMPING = 37
SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1
SOF_TIMESTAMPING_SOFTWARE = 1 << 4
SOF_TIMESTAMPING_HARDWARE = (1 << 0) | (1 << 2) | (1 << 6)
"""TX_HARDWARE, RX_HARDWARE and RAW_HARDWARE."""
RAW_HARDWARE_INDEX = 2
"""SCM_TIMESTAMPING carries three timespecs: software, legacy, raw hardware."""
MSG_ERRQUEUE = getattr(socket, "MSG_ERRQUEUE", 0x2000)
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
TIMESPEC = struct.Struct("@qq")
MREQN = struct.Struct("4s4si")
SECOND = 1_000_000_000
BUFFER = 2048
ANCILLARY = 256


@dataclass
class PtpSockets:
    event: socket.socket
    general: socket.socket
    interface: str
    address: str
    """The interface's IPv4 address: where our own multicast would come from."""

    def close(self) -> None:
        self.event.close()
        self.general.close()


def clock_identity(interface: str) -> bytes:
    """The EUI-64 made from the interface's MAC address (clause 7.5.2.2.2): ff:fe inserted
    in the middle, as linuxptp does."""
    try:
        text = Path(f"/sys/class/net/{interface}/address").read_text().strip()
        mac = bytes.fromhex(text.replace(":", ""))
    except (OSError, ValueError) as exc:
        raise OSError(f"interface {interface}: no MAC address to make a clock identity") from exc
    if len(mac) != 6 or mac == bytes(6):
        raise OSError(f"interface {interface}: no MAC address to make a clock identity")
    return mac[:3] + b"\xff\xfe" + mac[3:]


def interface_address(interface: str) -> str:
    """The first IPv4 address of the interface (SIOCGIFADDR)."""
    import fcntl

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        request = struct.pack("256s", interface.encode()[:15])
        reply = fcntl.ioctl(probe.fileno(), 0x8915, request)  # SIOCGIFADDR
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise OSError(f"interface {interface}: no IPv4 address ({reason})") from exc
    finally:
        probe.close()
    return socket.inet_ntoa(reply[20:24])


def _stamping(sock: socket.socket, hardware: bool) -> None:
    if hardware:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, SOF_TIMESTAMPING_HARDWARE)
        return
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, flags)


def _open(interface: str, index: int, port: int, stamps: bool | None) -> socket.socket:
    """One socket; `stamps` None for the general port, else whether hardware stamps."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, interface.encode())
        sock.bind(("0.0.0.0", port))
        membership = MREQN.pack(socket.inet_aton(GROUP), bytes(4), index)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setsockopt(
            socket.IPPROTO_IP, socket.IP_MULTICAST_IF, MREQN.pack(bytes(4), bytes(4), index)
        )
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        if stamps is not None:
            _stamping(sock, stamps)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def open_sockets(interface: str, port: int, hardware: bool = False) -> PtpSockets:
    """Both sockets, or OSError saying which port or interface failed and why."""
    try:
        index = socket.if_nametoindex(interface)
    except OSError:
        raise OSError(f"interface {interface} does not exist") from None
    address = interface_address(interface)
    opened: list[socket.socket] = []
    for number, stamps in ((port, hardware), (port + 1, None)):
        try:
            opened.append(_open(interface, index, number, stamps))
        except OSError as exc:
            for sock in opened:
                sock.close()
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise OSError(f"cannot listen on {interface} port {number}/udp: {reason}") from exc
    return PtpSockets(opened[0], opened[1], interface, address)


def receive_stamp(ancillary: list[tuple[int, int, Any]], hardware: bool = False) -> int | None:
    """Nanoseconds the kernel stamped a datagram with. Software: host realtime, from
    SCM_TIMESTAMPNS or the first timespec of SCM_TIMESTAMPING. Hardware: the PHC's time,
    the third timespec of SCM_TIMESTAMPING."""
    kinds = (SO_TIMESTAMPING,) if hardware else (SO_TIMESTAMPNS, SO_TIMESTAMPING)
    offset = TIMESPEC.size * RAW_HARDWARE_INDEX if hardware else 0
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind in kinds:
            if len(data) >= offset + TIMESPEC.size:
                seconds, nanoseconds = TIMESPEC.unpack_from(data, offset)
                if seconds or nanoseconds:
                    return int(seconds) * SECOND + int(nanoseconds)
    return None
