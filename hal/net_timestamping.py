"""What a network interface can timestamp (`ethtool -T`: the SIOCETHTOOL ioctl
ETHTOOL_GET_TS_INFO), and switching its hardware timestamping on (SIOCSHWTSTAMP).

The kernel's structs are packed and unpacked here with `struct`; decoding and the choice of
mode are pure functions of the bytes, so they are tested without the hardware. Constants are
those of linux/ethtool.h, linux/net_tstamp.h and linux/sockios.h.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag

SIOCETHTOOL = 0x8946
SIOCSHWTSTAMP = 0x89B0
ETHTOOL_GET_TS_INFO = 0x41
TS_INFO = struct.Struct("=IIiI12xI12x")
"""struct ethtool_ts_info: cmd, so_timestamping, phc_index, tx_types, tx_reserved[3],
rx_filters, rx_reserved[3]."""
HWTSTAMP_CONFIG = struct.Struct("=iii")
"""struct hwtstamp_config: flags, tx_type, rx_filter."""
IFREQ = struct.Struct("@16sP16x")
"""struct ifreq with ifr_data: the interface name, then a pointer to the request."""


class Capability(IntFlag):
    """SOF_TIMESTAMPING_* bits an interface reports; names as `ethtool -T` prints them."""

    TX_HARDWARE = 1 << 0
    TX_SOFTWARE = 1 << 1
    RX_HARDWARE = 1 << 2
    RX_SOFTWARE = 1 << 3
    SOFTWARE = 1 << 4
    SYS_HARDWARE = 1 << 5
    RAW_HARDWARE = 1 << 6


ETHTOOL_NAMES = {
    Capability.TX_HARDWARE: "hardware-transmit",
    Capability.TX_SOFTWARE: "software-transmit",
    Capability.RX_HARDWARE: "hardware-receive",
    Capability.RX_SOFTWARE: "software-receive",
    Capability.SOFTWARE: "software-system-clock",
    Capability.SYS_HARDWARE: "hardware-legacy-clock",
    Capability.RAW_HARDWARE: "hardware-raw-clock",
}
HARDWARE = Capability.TX_HARDWARE | Capability.RX_HARDWARE | Capability.RAW_HARDWARE


class TxType(IntEnum):
    OFF = 0
    ON = 1


class RxFilter(IntEnum):
    """The receive filters PTP over UDP/IPv4 can use, best first in PREFERRED."""

    NONE = 0
    ALL = 1
    PTP_V2_L4_EVENT = 6
    PTP_V2_EVENT = 12


PREFERRED = (RxFilter.PTP_V2_L4_EVENT, RxFilter.PTP_V2_EVENT, RxFilter.ALL)
REFUSALS = {
    errno.EPERM: "not permitted (CAP_NET_ADMIN is needed)",
    errno.ERANGE: "the driver cannot stamp PTP event messages",
    errno.EOPNOTSUPP: "the driver does not support it",
}


@dataclass(frozen=True)
class TimestampingInfo:
    """An interface's answer to ETHTOOL_GET_TS_INFO."""

    capabilities: Capability
    phc_index: int
    """The /dev/ptpN of the interface's hardware clock; -1: none."""
    tx_types: int
    """Bit per TxType."""
    rx_filters: int
    """Bit per RxFilter."""

    def names(self) -> list[str]:
        """The capabilities as `ethtool -T` lists them."""
        return [name for bit, name in ETHTOOL_NAMES.items() if self.capabilities & bit]


@dataclass(frozen=True)
class Decision:
    """Which timestamps PTP takes: hardware with its PHC and receive filter, or software and
    why."""

    hardware: bool
    phc_index: int = -1
    rx_filter: RxFilter = RxFilter.NONE
    reason: str = ""

    def text(self) -> str:
        if self.hardware:
            return f"hardware (phc /dev/ptp{self.phc_index})"
        return f"software ({self.reason})"


def decode_ts_info(data: bytes) -> TimestampingInfo:
    """ethtool_ts_info from the bytes the kernel filled in."""
    if len(data) < TS_INFO.size:
        raise ValueError(f"ethtool_ts_info is {TS_INFO.size} bytes, not {len(data)}")
    _cmd, capabilities, phc_index, tx_types, rx_filters = TS_INFO.unpack_from(data)
    return TimestampingInfo(Capability(capabilities & 0x7F), phc_index, tx_types, rx_filters)


def decide(requested: str, info: TimestampingInfo) -> Decision:
    """`auto` and `hardware` take hardware timestamps when the interface stamps transmit and
    receive in hardware on a PHC, can switch transmit stamping on and filter PTP events;
    otherwise software, with the reason (for `hardware` the reason refuses the start)."""
    if requested == "software":
        return Decision(False, reason="software chosen in the config")
    if info.capabilities & HARDWARE != HARDWARE or info.phc_index < 0:
        return Decision(False, reason="the interface offers no hardware timestamping")
    if not info.tx_types & (1 << TxType.ON):
        return Decision(False, reason="the interface cannot stamp every transmitted message")
    for rx_filter in PREFERRED:
        if info.rx_filters & (1 << rx_filter):
            return Decision(True, info.phc_index, rx_filter)
    return Decision(False, reason="the interface has no receive filter for PTP over UDP")


def refused(error: OSError) -> Decision:
    """Software after SIOCSHWTSTAMP failed, saying why."""
    why = REFUSALS.get(error.errno or 0) or os.strerror(error.errno or 0) or str(error)
    return Decision(False, reason=f"hardware refused: {why}")


def _ioctl(interface: str, request: int, payload: bytes) -> bytes:
    """An ifreq ioctl whose ifr_data points at `payload`; the payload as the kernel left it."""
    if not interface or len(interface.encode()) > 15:
        raise OSError(errno.EINVAL, f"interface name {interface!r} is not valid")
    buffer = ctypes.create_string_buffer(payload, len(payload))
    ifreq = IFREQ.pack(interface.encode(), ctypes.addressof(buffer))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock.fileno(), request, ifreq)
    return buffer.raw


def read_ts_info(interface: str) -> TimestampingInfo:
    """What `ethtool -T INTERFACE` shows; OSError when the interface cannot be asked."""
    request = TS_INFO.pack(ETHTOOL_GET_TS_INFO, 0, 0, 0, 0)
    return decode_ts_info(_ioctl(interface, SIOCETHTOOL, request))


def enable_hardware(interface: str, rx_filter: RxFilter) -> None:
    """Stamp every transmitted and the chosen received packets in hardware; OSError
    (EPERM, ERANGE, EOPNOTSUPP ...) when the driver refuses."""
    _ioctl(interface, SIOCSHWTSTAMP, HWTSTAMP_CONFIG.pack(0, TxType.ON, rx_filter))
