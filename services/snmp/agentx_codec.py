"""AgentX (RFC 2741) PDUs to bytes and back, free of I/O. Both byte orders are read (each
PDU's NETWORK_BYTE_ORDER flag says which); we write network byte order. Decoding frames by
the 20-byte header and its payload_length, and says when more bytes are needed."""

from __future__ import annotations

import struct
from dataclasses import replace

from services.snmp.agentx import (
    HEADER_SIZE,
    INTERNET,
    MAX_PAYLOAD,
    MAX_SUBIDS,
    VALUE_KINDS,
    VERSION,
    AgentxError,
    Body,
    Close,
    CloseReason,
    Empty,
    Flags,
    Get,
    GetBulk,
    GetNext,
    Header,
    Oid,
    Open,
    Pdu,
    PduType,
    Register,
    Response,
    SearchRange,
    Unsupported,
    Value,
    ValueType,
    VarBind,
    VarBindList,
)  # fmt: skip

# -- encoding ---------------------------------------------------------------------------


class _Writer:
    def __init__(self, big_endian: bool) -> None:
        self.order = ">" if big_endian else "<"
        self.parts: list[bytes] = []

    def pack(self, layout: str, *values: int) -> None:
        self.parts.append(struct.pack(self.order + layout, *values))

    def oid(self, oid: Oid, include: bool = False) -> None:
        prefix = 0
        if len(oid) > 4 and oid[:4] == INTERNET and 0 < oid[4] < 256:
            prefix, oid = oid[4], oid[5:]
        self.pack("BBBx", len(oid), prefix, int(include))
        self.pack(f"{len(oid)}I", *oid)

    def octets(self, data: bytes) -> None:
        self.pack("I", len(data))
        self.parts.append(data + b"\0" * (-len(data) % 4))

    def ranges(self, ranges: tuple[SearchRange, ...]) -> None:
        for search in ranges:
            self.oid(search.start, search.include)
            self.oid(search.end)

    def varbinds(self, varbinds: tuple[VarBind, ...]) -> None:
        for varbind in varbinds:
            self.pack("Hxx", varbind.type)
            self.oid(varbind.name)
            kind, value = VALUE_KINDS[varbind.type], varbind.value
            if kind in ("i", "I", "Q"):
                assert isinstance(value, int)
                self.pack(kind, value)
            elif kind == "octets":
                assert isinstance(value, bytes)
                self.octets(value)
            elif kind == "oid":
                assert isinstance(value, tuple)
                self.oid(value)


def _write_body(out: _Writer, body: Body) -> None:
    match body:
        case Open():
            out.pack("Bxxx", body.timeout)
            out.oid(body.id)
            out.octets(body.description)
        case Close():
            out.pack("Bxxx", body.reason)
        case Register():
            out.pack("BBBx", body.timeout, body.priority, body.range_subid)
            out.oid(body.subtree)
            if body.range_subid:
                out.pack("I", body.upper_bound)
        case Get() | GetNext():
            out.ranges(body.ranges)
        case GetBulk():
            out.pack("HH", body.non_repeaters, body.max_repetitions)
            out.ranges(body.ranges)
        case VarBindList():
            out.varbinds(body.varbinds)
        case Response():
            out.pack("IHH", body.sys_uptime, body.error, body.index)
            out.varbinds(body.varbinds)
        case Unsupported():
            out.parts.append(body.payload)
        case Empty():
            pass


def encode_pdu(pdu: Pdu, big_endian: bool = True) -> bytes:
    """The bytes of one PDU; the header's byte-order flag is set to match `big_endian`."""
    body = _Writer(big_endian)
    if pdu.context is not None:
        body.octets(pdu.context)
    _write_body(body, pdu.body)
    payload = b"".join(body.parts)
    header = pdu.header
    flags = header.flags & ~Flags.NETWORK_BYTE_ORDER & ~Flags.NON_DEFAULT_CONTEXT
    flags |= Flags.NETWORK_BYTE_ORDER if big_endian else Flags.NONE
    flags |= Flags.NON_DEFAULT_CONTEXT if pdu.context is not None else Flags.NONE
    out = _Writer(big_endian)
    out.pack("BBBx", VERSION, header.type, flags)
    out.pack("IIII", header.session_id, header.transaction_id, header.packet_id, len(payload))
    return b"".join(out.parts) + payload


# -- decoding ---------------------------------------------------------------------------


class _Reader:
    """Reads one payload; running out of bytes or a bad field raises AgentxError."""

    def __init__(self, data: bytes, big_endian: bool, header: Header) -> None:
        self.data = data
        self.at = 0
        self.order = ">" if big_endian else "<"
        self.header = header

    def fail(self, message: str) -> AgentxError:
        return AgentxError(message, self.header)

    def unpack(self, layout: str) -> tuple[int, ...]:
        size = struct.calcsize(self.order + layout)
        if self.at + size > len(self.data):
            raise self.fail("PDU ends inside a field")
        values = struct.unpack_from(self.order + layout, self.data, self.at)
        self.at += size
        return values

    def oid(self) -> tuple[Oid, bool]:
        count, prefix, include = self.unpack("BBBx")
        if count > MAX_SUBIDS:
            raise self.fail(f"OID of {count} sub-identifiers (at most {MAX_SUBIDS})")
        if include > 1:
            raise self.fail(f"OID include field {include} (0 or 1)")
        subids = self.unpack(f"{count}I")
        return ((*INTERNET, prefix, *subids) if prefix else subids), bool(include)

    def octets(self) -> bytes:
        (length,) = self.unpack("I")
        padded = length + (-length % 4)
        if self.at + padded > len(self.data):
            raise self.fail(f"octet string of {length} bytes runs past the PDU")
        value = self.data[self.at : self.at + length]
        self.at += padded
        return value

    def ranges(self) -> tuple[SearchRange, ...]:
        found = []
        while self.at < len(self.data):
            start, include = self.oid()
            end, _ = self.oid()
            found.append(SearchRange(start, end, include))
        return tuple(found)

    def value(self, kind: ValueType) -> Value:
        layout = VALUE_KINDS[kind]
        if layout in ("i", "I", "Q"):
            return self.unpack(layout)[0]
        if layout == "octets":
            return self.octets()
        if layout == "oid":
            return self.oid()[0]
        return None

    def varbinds(self) -> tuple[VarBind, ...]:
        found = []
        while self.at < len(self.data):
            (number,) = self.unpack("Hxx")
            try:
                kind = ValueType(number)
            except ValueError:
                raise self.fail(f"unknown value type {number}") from None
            name, _ = self.oid()
            found.append(VarBind(kind, name, self.value(kind)))
        return tuple(found)


def _read_open(reader: _Reader) -> Body:
    (timeout,) = reader.unpack("Bxxx")
    return Open(timeout, reader.oid()[0], reader.octets())


def _read_close(reader: _Reader) -> Body:
    (reason,) = reader.unpack("Bxxx")
    try:
        return Close(CloseReason(reason))
    except ValueError:
        raise reader.fail(f"unknown close reason {reason}") from None


def _read_register(reader: _Reader) -> Body:
    timeout, priority, range_subid = reader.unpack("BBBx")
    subtree, _ = reader.oid()
    upper = reader.unpack("I")[0] if range_subid else 0
    return Register(subtree, timeout, priority, range_subid, upper)


def _read_bulk(reader: _Reader) -> Body:
    non_repeaters, repetitions = reader.unpack("HH")
    return GetBulk(non_repeaters, repetitions, reader.ranges())


def _read_response(reader: _Reader) -> Body:
    uptime, error, index = reader.unpack("IHH")
    return Response(uptime, error, index, reader.varbinds())


# How each PDU's body is read, after its context; types not here are kept raw.
READERS = {
    PduType.OPEN: _read_open,
    PduType.CLOSE: _read_close,
    PduType.REGISTER: _read_register,
    PduType.UNREGISTER: _read_register,
    PduType.GET: lambda reader: Get(reader.ranges()),
    PduType.GET_NEXT: lambda reader: GetNext(reader.ranges()),
    PduType.GET_BULK: _read_bulk,
    PduType.TEST_SET: lambda reader: VarBindList(reader.varbinds()),
    PduType.NOTIFY: lambda reader: VarBindList(reader.varbinds()),
    PduType.COMMIT_SET: lambda reader: Empty(),
    PduType.UNDO_SET: lambda reader: Empty(),
    PduType.CLEANUP_SET: lambda reader: Empty(),
    PduType.PING: lambda reader: Empty(),
    PduType.RESPONSE: _read_response,
}

# PDUs that may carry a non-default context (RFC 2741 6.1).
WITH_CONTEXT = frozenset(
    {PduType.REGISTER, PduType.UNREGISTER, PduType.GET, PduType.GET_NEXT, PduType.GET_BULK,
     PduType.TEST_SET, PduType.NOTIFY, PduType.PING, PduType.INDEX_ALLOCATE,
     PduType.INDEX_DEALLOCATE, PduType.ADD_AGENT_CAPS, PduType.REMOVE_AGENT_CAPS}
)  # fmt: skip


def decode_header(data: bytes) -> tuple[Header, int, bool] | None:
    """The header, the payload length and the byte order (True: big-endian) of the PDU at
    the start of `data`; None until 20 bytes are there. Lost framing raises AgentxError
    without a header."""
    if len(data) < HEADER_SIZE:
        return None
    version, number, flags = data[0], data[1], data[2]
    if version != VERSION:
        raise AgentxError(f"AgentX version {version} (only 1 exists)")
    big_endian = bool(flags & Flags.NETWORK_BYTE_ORDER)
    order = ">" if big_endian else "<"
    session, transaction, packet, length = struct.unpack_from(order + "IIII", data, 4)
    if length > MAX_PAYLOAD or length % 4:
        raise AgentxError(f"payload length {length} (a multiple of 4 up to {MAX_PAYLOAD})")
    try:
        kind = PduType(number)
    except ValueError:
        raise AgentxError(f"unknown PDU type {number}") from None
    return Header(kind, Flags(flags & 0x1F), session, transaction, packet), length, big_endian


def decode_pdu(data: bytes) -> tuple[Pdu, int] | None:
    """The first PDU in `data` and the number of bytes it took, or None when more bytes are
    needed. A sound header over a bad payload raises AgentxError carrying the header."""
    found = decode_header(data)
    if found is None:
        return None
    header, length, big_endian = found
    if len(data) < HEADER_SIZE + length:
        return None
    try:
        return _decode_payload(data[HEADER_SIZE : HEADER_SIZE + length], header, big_endian)
    except AgentxError as exc:
        exc.size = HEADER_SIZE + length
        raise


def _decode_payload(payload: bytes, header: Header, big_endian: bool) -> tuple[Pdu, int]:
    reader = _Reader(payload, big_endian, header)
    context = None
    if header.flags & Flags.NON_DEFAULT_CONTEXT:
        if header.type not in WITH_CONTEXT:
            raise reader.fail(f"{header.type.name} cannot carry a context")
        context = reader.octets()
        header = replace(header, flags=header.flags & ~Flags.NON_DEFAULT_CONTEXT)
    read = READERS.get(header.type)
    body = read(reader) if read is not None else Unsupported(reader.data[reader.at :])
    if reader.at != len(reader.data):
        raise reader.fail(f"{len(reader.data) - reader.at} bytes left over in the payload")
    return Pdu(header, body, context), HEADER_SIZE + len(payload)
