"""A whole-packet NTP codec for the tests: reads the server's replies field by field, apart
from the byte offsets the engine writes them at, and encodes packets back byte for byte."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from services.ntp.packet import (
    HEADER,
    HEADER_SIZE,
    MIN_EXTENSION,
    Extension,
    Mac,
    NtpPacketError,
    decode_trailer,
)


@dataclass(frozen=True)
class NtpPacket:
    leap: int
    version: int
    mode: int
    stratum: int
    poll: int
    precision: int
    root_delay: int
    """NTP short format, 16.16 seconds."""
    root_dispersion: int
    refid: bytes
    reference: int
    origin: int
    receive: int
    transmit: int
    extensions: tuple[Extension, ...] = ()
    mac: Mac | None = None


def decode_packet(data: bytes) -> NtpPacket:
    if len(data) < HEADER_SIZE:
        raise NtpPacketError(f"{len(data)} bytes is shorter than the 48-byte header")
    (first, stratum, poll, precision, delay, dispersion, refid,
     reference, origin, receive, transmit) = HEADER.unpack_from(data)  # fmt: skip
    version = (first >> 3) & 7
    if not 1 <= version <= 4:
        raise NtpPacketError(f"version {version} is not 1-4")
    extensions, mac = decode_trailer(memoryview(data)[HEADER_SIZE:], version)
    return NtpPacket(
        first >> 6, version, first & 7, stratum, poll, precision, delay, dispersion, refid,
        reference, origin, receive, transmit, extensions, mac,
    )  # fmt: skip


def encode_packet(packet: NtpPacket) -> bytes:
    first = (packet.leap << 6) | (packet.version << 3) | packet.mode
    parts = [
        HEADER.pack(
            first,
            packet.stratum,
            packet.poll,
            packet.precision,
            packet.root_delay,
            packet.root_dispersion,
            packet.refid,
            packet.reference,
            packet.origin,
            packet.receive,
            packet.transmit,
        )  # fmt: skip
    ]
    for extension in packet.extensions:
        padded = extension.value + b"\0" * (-len(extension.value) % 4)
        length = max(MIN_EXTENSION, 4 + len(padded))
        parts.append(struct.pack("!HH", extension.type, length))
        parts.append(padded.ljust(length - 4, b"\0"))
    if packet.mac is not None:
        parts.append(struct.pack("!I", packet.mac.key_id) + packet.mac.digest)
    return b"".join(parts)
