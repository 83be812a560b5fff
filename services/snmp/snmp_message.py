"""Just enough of an SNMP message (RFC 3416, 3412, 3414) for the front door to judge it:
the version, the SNMPv3 user name and, when the scoped PDU travels in the clear (as the
reports of a failed authentication do), the PDU type and the first varbind's name. BER in,
a frozen record out, one error type; free of I/O. The community is never kept."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from services.snmp.agentx import Oid

SEQUENCE, INTEGER, OCTET_STRING, OBJECT_IDENTIFIER = 0x30, 0x02, 0x04, 0x06
PRIVACY_FLAG = 0x02
MAX_LENGTH_BYTES = 4
"""Longest BER length we accept, in bytes: no SNMP message over UDP needs more."""


class Version(IntEnum):
    V1 = 0
    V2C = 1
    V3 = 3


class PduType(IntEnum):
    GET = 0xA0
    GET_NEXT = 0xA1
    RESPONSE = 0xA2
    SET = 0xA3
    TRAP_V1 = 0xA4
    GET_BULK = 0xA5
    INFORM = 0xA6
    TRAP = 0xA7
    REPORT = 0xA8


class SnmpMessageError(ValueError):
    """The bytes are not an SNMP message this module can read; says where it broke."""


@dataclass(frozen=True)
class Message:
    version: int
    user: bytes = b""
    """The SNMPv3 USM user name as sent (empty for v1/v2c and for engine discovery)."""
    pdu: PduType | None = None
    """None when the scoped PDU is encrypted."""
    first_name: Oid | None = None
    """The first varbind's name, when the PDU is readable and has one."""
    encrypted: bool = False
    """SNMPv3 with the privacy flag: the scoped PDU is encrypted (authPriv)."""
    msg_id: int | None = None
    """SNMPv3's msgID (in the clear): an answer or a report carries its request's."""


def _element(data: bytes, offset: int, tag: int) -> tuple[int, int]:
    """The content span (start, end) of the element at `offset`, which must have `tag`."""
    if offset + 2 > len(data):
        raise SnmpMessageError(f"truncated at byte {offset}")
    if data[offset] != tag:
        raise SnmpMessageError(f"byte {offset}: tag {data[offset]:#04x}, expected {tag:#04x}")
    length, start = data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= MAX_LENGTH_BYTES or start + count > len(data):
            raise SnmpMessageError(f"byte {offset + 1}: bad length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > len(data):
        raise SnmpMessageError(f"byte {offset}: element runs past the end")
    return start, start + length


def _integer(data: bytes, offset: int) -> tuple[int, int]:
    """An INTEGER's value and the offset after it."""
    start, end = _element(data, offset, INTEGER)
    if not 0 < end - start <= 8:
        raise SnmpMessageError(f"byte {offset}: bad integer")
    return int.from_bytes(data[start:end], "big", signed=True), end


def _octets(data: bytes, offset: int) -> tuple[bytes, int]:
    start, end = _element(data, offset, OCTET_STRING)
    return data[start:end], end


def decode_oid(content: bytes) -> Oid:
    """An OBJECT IDENTIFIER's content octets as a tuple."""
    if not content or content[-1] & 0x80:
        raise SnmpMessageError("bad object identifier")
    numbers, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = numbers[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *numbers[1:])


def _pdu(data: bytes, offset: int) -> tuple[PduType | None, Oid | None]:
    """The PDU's type and its first varbind's name."""
    if offset >= len(data):
        raise SnmpMessageError(f"truncated at byte {offset}")
    tag = data[offset]
    try:
        kind = PduType(tag)
    except ValueError as exc:
        raise SnmpMessageError(f"byte {offset}: unknown PDU type {tag:#04x}") from exc
    start, end = _element(data, offset, tag)
    if kind == PduType.TRAP_V1:
        return kind, None
    position = start
    for _ in range(3):  # request-id, error-status, error-index (or non-repeaters, ...)
        _, position = _integer(data, position)
    list_start, list_end = _element(data, position, SEQUENCE)
    if list_start == list_end:
        return kind, None
    varbind, _ = _element(data, list_start, SEQUENCE)
    name_start, name_end = _element(data, varbind, OBJECT_IDENTIFIER)
    return kind, decode_oid(data[name_start:name_end])


def _user(parameters: bytes) -> bytes:
    """The user name out of the USM security parameters (RFC 3414 2.4)."""
    start, _ = _element(parameters, 0, SEQUENCE)
    _, position = _octets(parameters, start)  # authoritative engine ID
    _, position = _integer(parameters, position)  # engine boots
    _, position = _integer(parameters, position)  # engine time
    user, _ = _octets(parameters, position)
    return user


def decode_message(data: bytes) -> Message:
    """The parts of one datagram the front door looks at; SnmpMessageError if unreadable."""
    start, _ = _element(data, 0, SEQUENCE)
    version, position = _integer(data, start)
    if version in (Version.V1, Version.V2C):
        _, position = _octets(data, position)
        return Message(version, b"", *_pdu(data, position))
    if version != Version.V3:
        raise SnmpMessageError(f"unknown version {version}")
    header, position = _element(data, position, SEQUENCE)
    msg_id, field = _integer(data, header)
    _, field = _integer(data, field)  # msgMaxSize
    flags, field = _octets(data, field)
    model, _ = _integer(data, field)
    parameters, position = _octets(data, position)
    user = _user(parameters) if model == 3 else b""
    if len(flags) != 1 or flags[0] & PRIVACY_FLAG:
        return Message(version, user, encrypted=len(flags) == 1, msg_id=msg_id)
    scoped, _ = _element(data, position, SEQUENCE)
    _, field = _octets(data, scoped)  # contextEngineID
    _, field = _octets(data, field)  # contextName
    return Message(version, user, *_pdu(data, field), msg_id=msg_id)
