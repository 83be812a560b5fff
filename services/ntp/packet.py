"""NTP packets (RFC 5905, versions 1-4): the header layout, the trailer of extension fields
(RFC 7822) and MAC, and timestamps.

The engine reads and writes the header at fixed offsets (TEMPLATE, STAMP in engine.py);
here is what it decodes whole: the trailer, with the one error type. Timestamps stay raw
64-bit NTP values; `ns_to_ntp` and `ntp_to_ns` convert, with the era chosen nearest a pivot;
`ns_to_date` writes the 128-bit date format, which names its era.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

HEADER = struct.Struct("!BBbbII4sQQQQ")
HEADER_SIZE = HEADER.size  # 48
NTP_UNIX_OFFSET = 2_208_988_800
ERA = 1 << 32
DATE = struct.Struct("!iIQ")
SECOND = 1_000_000_000
MAC_SIZES = (20, 24)  # key id + 16-byte (MD5, AES-CMAC) or 20-byte (SHA1) digest
CRYPTO_NAK_SIZE = 4
MIN_EXTENSION = 16


class NtpPacketError(ValueError):
    """A packet that cannot be decoded; says what was wrong."""


class Mode(IntEnum):
    RESERVED = 0
    SYMMETRIC_ACTIVE = 1
    SYMMETRIC_PASSIVE = 2
    CLIENT = 3
    SERVER = 4
    BROADCAST = 5
    CONTROL = 6
    PRIVATE = 7


@dataclass(frozen=True)
class Extension:
    type: int
    value: bytes


@dataclass(frozen=True)
class Mac:
    key_id: int
    digest: bytes
    """Empty for a crypto-NAK (a bare key id 0)."""


def decode_trailer(rest: memoryview, version: int) -> tuple[tuple[Extension, ...], Mac | None]:
    extensions: list[Extension] = []
    offset = 0
    # RFC 7822: extension fields until what is left is exactly a MAC, or nothing.
    while len(rest) - offset not in (0, CRYPTO_NAK_SIZE, *MAC_SIZES):
        if version < 4:
            raise NtpPacketError(f"version {version} packets carry no extension fields")
        if len(rest) - offset < MIN_EXTENSION:
            raise NtpPacketError(f"{len(rest) - offset} trailing bytes are no field and no MAC")
        kind, length = struct.unpack_from("!HH", rest, offset)
        if length < MIN_EXTENSION or length % 4 or offset + length > len(rest):
            raise NtpPacketError(f"extension field of length {length} is malformed")
        extensions.append(Extension(kind, bytes(rest[offset + 4 : offset + length])))
        offset += length
    left = len(rest) - offset
    if left == 0:
        return tuple(extensions), None
    (key_id,) = struct.unpack_from("!I", rest, offset)
    if left == CRYPTO_NAK_SIZE:
        if key_id != 0:
            raise NtpPacketError("a 4-byte trailer must be a crypto-NAK (key id 0)")
        return tuple(extensions), Mac(0, b"")
    return tuple(extensions), Mac(key_id, bytes(rest[offset + 4 :]))


def ns_to_ntp(unix_ns: int) -> int:
    """Unix nanoseconds to a 64-bit NTP timestamp; past 2036 the seconds wrap (era 1)."""
    seconds, nanoseconds = divmod(unix_ns, SECOND)
    fraction = (nanoseconds << 32) // SECOND
    return (((seconds + NTP_UNIX_OFFSET) % ERA) << 32) | fraction


def ns_to_date(unix_ns: int) -> bytes:
    """Unix nanoseconds in RFC 5905's 128-bit date format (section 6): a signed era, the
    seconds into it and a 64-bit fraction, so that no date is ambiguous (RFC 5907's
    NtpDateTime)."""
    seconds, nanoseconds = divmod(unix_ns, SECOND)
    era, offset = divmod(seconds + NTP_UNIX_OFFSET, ERA)
    return DATE.pack(era, offset, (nanoseconds << 64) // SECOND)


def ntp_to_ns(timestamp: int, pivot_ns: int) -> int:
    """A 64-bit NTP timestamp to Unix nanoseconds, in the era that puts it nearest `pivot`."""
    seconds, fraction = timestamp >> 32, timestamp & 0xFFFFFFFF
    pivot_s = pivot_ns // SECOND + NTP_UNIX_OFFSET
    era = round((pivot_s - seconds) / ERA)
    unix_s = seconds + era * ERA - NTP_UNIX_OFFSET
    return unix_s * SECOND + ((fraction * SECOND) >> 32)


def short_format(nanoseconds: int) -> int:
    """An error bound in nanoseconds as NTP short format (16.16 seconds), saturating.

    Rounded up: a client must never read a smaller bound than the one the server holds."""
    return min(0xFFFFFFFF, max(0, -((-nanoseconds << 16) // SECOND)))
