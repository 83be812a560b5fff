"""PTPv2 messages (IEEE 1588-2019 clause 13) of the default delay request-response profile:
the common header, Sync, Delay_Req, Follow_Up, Delay_Resp, Announce and Management, with
the TLVs that follow them.

`decode_message` and `encode_message` are a pair (as linuxptp's msg_post_recv() and
msg_pre_send()): decoding checks lengths before reading, and every TLV must end exactly
at messageLength (bytes past messageLength are UDP padding and ignored). Whatever cannot be
decoded raises `PtpMessageError`, the one error type of this codec, saying what was wrong.
Timestamps are integers of nanoseconds on the PTP timescale (TAI since 1970).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum

HEADER = struct.Struct("!BBHBBHqI8sHHBb")
HEADER_SIZE = HEADER.size  # 34
TIMESTAMP = struct.Struct("!HIL")
PORT_IDENTITY = struct.Struct("!8sH")
ANNOUNCE = struct.Struct("!hxBBBHB8sHB")
MANAGEMENT = struct.Struct("!BBBx")
TLV_HEADER = struct.Struct("!HH")
SECOND = 1_000_000_000
VERSION = 2
MINOR_VERSION = 1


class Malformed(StrEnum):
    """What kind of wrong a message is, each counted on its own (`ptp counters`)."""

    SHORT = "short"
    """Shorter than the common header."""
    VERSION = "version"
    """versionPTP is not 2."""
    LENGTH = "length"
    """messageLength does not fit the datagram."""
    TYPE = "type"
    """A reserved messageType."""
    BODY = "body"
    """The body is too short for the type, or a field in it is out of range."""
    TLV = "tlv"
    """TLVs that do not fill the message exactly, or a management TLV that is wrong."""


class PtpMessageError(ValueError):
    """A message that cannot be decoded; says what was wrong, and which kind of wrong."""

    def __init__(self, message: str, kind: Malformed = Malformed.BODY) -> None:
        super().__init__(message)
        self.kind = kind


class MessageType(IntEnum):
    SYNC = 0x0
    DELAY_REQ = 0x1
    PDELAY_REQ = 0x2
    PDELAY_RESP = 0x3
    FOLLOW_UP = 0x8
    DELAY_RESP = 0x9
    PDELAY_RESP_FOLLOW_UP = 0xA
    ANNOUNCE = 0xB
    SIGNALING = 0xC
    MANAGEMENT = 0xD


class Flag(IntEnum):
    """Bits of flagField (clause 13.3.2.8): octet 0 is the high byte."""

    ALTERNATE_MASTER = 0x0100
    TWO_STEP = 0x0200
    UNICAST = 0x0400
    LEAP61 = 0x0001
    LEAP59 = 0x0002
    UTC_OFFSET_VALID = 0x0004
    PTP_TIMESCALE = 0x0008
    TIME_TRACEABLE = 0x0010
    FREQUENCY_TRACEABLE = 0x0020


CONTROL = {
    MessageType.SYNC: 0,
    MessageType.DELAY_REQ: 1,
    MessageType.FOLLOW_UP: 2,
    MessageType.DELAY_RESP: 3,
    MessageType.MANAGEMENT: 4,
}
"""controlField (clause 13.3.2.13): kept for version 1 hardware; 5 for every other type."""


@dataclass(frozen=True)
class PortIdentity:
    clock: bytes
    """clockIdentity, 8 bytes (an EUI-64)."""
    port: int

    def text(self) -> str:
        """As linuxptp prints it: 001122.fffe.334455-1."""
        raw = self.clock.hex()
        return f"{raw[:6]}.{raw[6:10]}.{raw[10:]}-{self.port}"


WILDCARD = PortIdentity(b"\xff" * 8, 0xFFFF)


@dataclass(frozen=True)
class ClockQuality:
    clock_class: int
    accuracy: int
    variance: int
    """offsetScaledLogVariance."""


@dataclass(frozen=True)
class Header:
    message_type: MessageType
    source: PortIdentity
    sequence_id: int
    domain: int = 0
    flags: int = 0
    correction: int = 0
    """correctionField: nanoseconds times 2**16."""
    log_interval: int = 0x7F
    control: int | None = None
    """None: the value clause 13.3.2.13 gives the message type."""
    sdo_id: int = 0
    """majorSdoId (4 bits) and minorSdoId (8 bits) as one 12-bit number."""
    minor_version: int = MINOR_VERSION
    type_specific: int = 0


@dataclass(frozen=True)
class Tlv:
    type: int
    value: bytes


@dataclass(frozen=True)
class Sync:
    header: Header
    origin_ns: int
    tlvs: tuple[Tlv, ...] = ()


@dataclass(frozen=True)
class DelayReq:
    header: Header
    origin_ns: int
    tlvs: tuple[Tlv, ...] = ()


@dataclass(frozen=True)
class FollowUp:
    header: Header
    precise_origin_ns: int
    tlvs: tuple[Tlv, ...] = ()


@dataclass(frozen=True)
class DelayResp:
    header: Header
    receive_ns: int
    requesting: PortIdentity
    tlvs: tuple[Tlv, ...] = ()


@dataclass(frozen=True)
class Announce:
    header: Header
    origin_ns: int
    utc_offset: int
    priority1: int
    quality: ClockQuality
    priority2: int
    grandmaster: bytes
    steps_removed: int
    time_source: int
    tlvs: tuple[Tlv, ...] = ()


class Action(IntEnum):
    GET = 0
    SET = 1
    RESPONSE = 2
    COMMAND = 3
    ACKNOWLEDGE = 4


@dataclass(frozen=True)
class Management:
    header: Header
    target: PortIdentity
    starting_hops: int
    hops: int
    action: int
    tlvs: tuple[Tlv, ...] = ()


@dataclass(frozen=True)
class Other:
    """A message type this grandmaster does not take part in (peer delay, signaling):
    decoded as far as its header, so it can be counted."""

    header: Header
    body: bytes = field(repr=False)


Message = Sync | DelayReq | FollowUp | DelayResp | Announce | Management | Other


def encode_timestamp(nanoseconds: int) -> bytes:
    seconds, fraction = divmod(nanoseconds, SECOND)
    if not 0 <= seconds < 1 << 48:
        raise PtpMessageError(f"timestamp {nanoseconds} ns is outside 48-bit seconds")
    return TIMESTAMP.pack(seconds >> 32, seconds & 0xFFFFFFFF, fraction)


def decode_timestamp(data: bytes | memoryview, offset: int) -> int:
    high, low, fraction = TIMESTAMP.unpack_from(data, offset)
    if fraction >= SECOND:
        raise PtpMessageError(f"timestamp nanoseconds {fraction} is not below 10**9")
    seconds: int = (high << 32) | low
    return seconds * SECOND + int(fraction)


def _port(data: bytes | memoryview, offset: int) -> PortIdentity:
    clock, port = PORT_IDENTITY.unpack_from(data, offset)
    return PortIdentity(bytes(clock), port)


def _port_bytes(identity: PortIdentity) -> bytes:
    if len(identity.clock) != 8:
        raise PtpMessageError("a clock identity is 8 bytes")
    return PORT_IDENTITY.pack(identity.clock, identity.port)


def decode_tlvs(data: bytes | memoryview) -> tuple[Tlv, ...]:
    """TLVs that must fill `data` exactly: a length running past the end is malformed."""
    tlvs: list[Tlv] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < TLV_HEADER.size:
            raise PtpMessageError(f"{len(data) - offset} trailing bytes are no TLV", Malformed.TLV)
        kind, length = TLV_HEADER.unpack_from(data, offset)
        start = offset + TLV_HEADER.size
        if start + length > len(data):
            message = f"TLV 0x{kind:04x} of length {length} runs past the message"
            raise PtpMessageError(message, Malformed.TLV)
        tlvs.append(Tlv(kind, bytes(data[start : start + length])))
        offset = start + length
    return tuple(tlvs)


def encode_tlvs(tlvs: tuple[Tlv, ...]) -> bytes:
    return b"".join(TLV_HEADER.pack(t.type, len(t.value)) + t.value for t in tlvs)


# Body readers by message type: (fixed body size, body bytes and TLVs -> message).
Reader = Callable[[Header, memoryview, tuple[Tlv, ...]], Message]
READERS: dict[MessageType, tuple[int, Reader]] = {
    MessageType.SYNC: (10, lambda h, b, t: Sync(h, decode_timestamp(b, 0), t)),
    MessageType.DELAY_REQ: (10, lambda h, b, t: DelayReq(h, decode_timestamp(b, 0), t)),
    MessageType.FOLLOW_UP: (10, lambda h, b, t: FollowUp(h, decode_timestamp(b, 0), t)),
    MessageType.DELAY_RESP: (
        20, lambda h, b, t: DelayResp(h, decode_timestamp(b, 0), _port(b, 10), t)
    ),
    MessageType.ANNOUNCE: (30, lambda h, b, t: _announce(h, b, t)),
    MessageType.MANAGEMENT: (14, lambda h, b, t: _management(h, b, t)),
}  # fmt: skip


def _announce(header: Header, body: memoryview, tlvs: tuple[Tlv, ...]) -> Announce:
    offset, p1, cls, accuracy, variance, p2, gm, steps, source = ANNOUNCE.unpack_from(body, 10)
    quality = ClockQuality(cls, accuracy, variance)
    origin = decode_timestamp(body, 0)
    return Announce(header, origin, offset, p1, quality, p2, bytes(gm), steps, source, tlvs)


def _management(header: Header, body: memoryview, tlvs: tuple[Tlv, ...]) -> Management:
    starting, hops, action = MANAGEMENT.unpack_from(body, 10)
    return Management(header, _port(body, 0), starting, hops, action & 0x0F, tlvs)


def decode_header(data: bytes | memoryview) -> tuple[Header, int]:
    """The common header and messageLength, checked against what arrived."""
    if len(data) < HEADER_SIZE:
        message = f"{len(data)} bytes are shorter than the 34-byte header"
        raise PtpMessageError(message, Malformed.SHORT)
    (first, version, length, domain, minor_sdo, flags, correction, specific, clock, port,
     sequence, control, log_interval) = HEADER.unpack_from(data)  # fmt: skip
    if version & 0x0F != VERSION:
        raise PtpMessageError(f"versionPTP {version & 0x0F} is not 2", Malformed.VERSION)
    if length < HEADER_SIZE or length > len(data):
        message = f"messageLength {length} does not fit the {len(data)} bytes"
        raise PtpMessageError(message, Malformed.LENGTH)
    try:
        kind = MessageType(first & 0x0F)
    except ValueError:
        message = f"messageType 0x{first & 0x0F:x} is reserved"
        raise PtpMessageError(message, Malformed.TYPE) from None
    header = Header(
        kind, PortIdentity(clock, port), sequence, domain, flags, correction, log_interval,
        control, ((first >> 4) << 8) | minor_sdo, version >> 4, specific,
    )  # fmt: skip
    return header, length


def decode_message(data: bytes) -> Message:
    header, length = decode_header(data)
    view = memoryview(data)[HEADER_SIZE:length]
    if header.message_type not in READERS:
        return Other(header, bytes(view))
    size, reader = READERS[header.message_type]
    if len(view) < size:
        name = header.message_type.name
        raise PtpMessageError(f"messageLength {length} is too short for {name}")
    return reader(header, view[:size], decode_tlvs(view[size:]))


def encode_header(header: Header, length: int) -> bytes:
    control = header.control
    if control is None:
        control = CONTROL.get(header.message_type, 5)
    return HEADER.pack(
        ((header.sdo_id >> 8) << 4) | header.message_type, (header.minor_version << 4) | VERSION,
        length, header.domain, header.sdo_id & 0xFF, header.flags, header.correction,
        header.type_specific, header.source.clock, header.source.port, header.sequence_id,
        control, header.log_interval,
    )  # fmt: skip


def _body(message: Message) -> bytes:
    match message:
        case Sync() | DelayReq():
            return encode_timestamp(message.origin_ns)
        case FollowUp():
            return encode_timestamp(message.precise_origin_ns)
        case DelayResp():
            return encode_timestamp(message.receive_ns) + _port_bytes(message.requesting)
        case Announce():
            q = message.quality
            return encode_timestamp(message.origin_ns) + ANNOUNCE.pack(
                message.utc_offset, message.priority1, q.clock_class, q.accuracy, q.variance,
                message.priority2, message.grandmaster, message.steps_removed,
                message.time_source,
            )  # fmt: skip
        case Management():
            return _port_bytes(message.target) + MANAGEMENT.pack(
                message.starting_hops, message.hops, message.action
            )
        case Other():
            return message.body


def encode_message(message: Message) -> bytes:
    try:
        body = _body(message)
        if not isinstance(message, Other):
            body += encode_tlvs(message.tlvs)
        return encode_header(message.header, HEADER_SIZE + len(body)) + body
    except struct.error as exc:
        raise PtpMessageError(f"cannot encode {type(message).__name__}: {exc}") from None


def with_header(message: Message, **changes: object) -> Message:
    """`message` with some header fields changed (sequence id, flags, correction...)."""
    return replace(message, header=replace(message.header, **changes))  # type: ignore[arg-type]
