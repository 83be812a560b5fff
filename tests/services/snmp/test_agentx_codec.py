"""The AgentX codec from rows of bytes laid out by hand from RFC 2741, both directions, in
both byte orders, fed whole, byte by byte and with trailing bytes."""

import pytest

from services.snmp.agentx import (
    AgentxError,
    Close,
    CloseReason,
    Empty,
    Flags,
    GetBulk,
    GetNext,
    Header,
    Open,
    Pdu,
    PduType,
    Register,
    Response,
    SearchRange,
    ValueType,
    VarBind,
    VarBindList,
)  # fmt: skip
from services.snmp.agentx_codec import decode_pdu, encode_pdu

ENTERPRISE = (1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 123)
NTP_MIB = (1, 3, 6, 1, 2, 1, 197)

ROWS = [
    (
        "open",
        Pdu(Header(PduType.OPEN, packet_id=1), Open(5, ENTERPRISE, b"ts")),
        "01011000 00000000 00000000 00000001 00000024 05000000 05040000 00000001 00001f88"
        "0000270f 0000270f 0000007b 00000002 74730000",
    ),
    (
        "open response",
        Pdu(Header(PduType.RESPONSE, session_id=42, packet_id=1), Response(100, 0, 0)),
        "01121000 0000002a 00000000 00000001 00000008 00000064 00000000",
    ),
    (
        "getnext",
        Pdu(Header(PduType.GET_NEXT, session_id=42, transaction_id=7, packet_id=9),
            GetNext((SearchRange(NTP_MIB),))),
        "01061000 0000002a 00000007 00000009 00000010 02020000 00000001 000000c5 00000000",
    ),
    (
        "response with values",
        Pdu(Header(PduType.RESPONSE, session_id=42, transaction_id=7, packet_id=9),
            Response(0, 0, 0, (VarBind(ValueType.INTEGER, (*NTP_MIB, 1, 2, 2, 0), 1),
                               VarBind(ValueType.OCTET_STRING, (1, 3, 6, 1, 2, 1, 1, 5, 0),
                                       b"clock")))),
        "01121000 0000002a 00000007 00000009 00000050 00000000 00000000"
        "00020000 06020000 00000001 000000c5 00000001 00000002 00000002 00000000 00000001"
        "00040000 04020000 00000001 00000001 00000005 00000000 00000005 636c6f63 6b000000",
    ),
    (
        "register with a context",
        Pdu(Header(PduType.REGISTER, session_id=42, packet_id=2), Register(NTP_MIB), b"ntp"),
        "01031800 0000002a 00000000 00000002 00000018 00000003 6e747000 007f0000 02020000"
        "00000001 000000c5",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("pdu", "wire"), [row[1:] for row in ROWS], ids=[r[0] for r in ROWS])
def test_rows_both_ways(pdu: Pdu, wire: str) -> None:
    data = bytes.fromhex(wire.replace(" ", ""))
    assert encode_pdu(pdu) == data
    assert decode_pdu(data) == (pdu, len(data))


def _little_endian(data: bytes) -> bytes:
    """The same PDU as a peer writing little-endian would send it."""
    found = decode_pdu(data)
    assert found is not None
    return encode_pdu(found[0], big_endian=False)


@pytest.mark.parametrize(("pdu", "wire"), [row[1:] for row in ROWS], ids=[r[0] for r in ROWS])
def test_little_endian_peers_are_read(pdu: Pdu, wire: str) -> None:
    data = bytes.fromhex(wire.replace(" ", ""))
    little = _little_endian(data)
    assert little != data and little[2] & Flags.NETWORK_BYTE_ORDER == 0
    found = decode_pdu(little)
    assert found is not None
    decoded, used = found
    assert used == len(data) and decoded.body == pdu.body and decoded.context == pdu.context
    assert encode_pdu(decoded) == data


@pytest.mark.parametrize(("pdu", "wire"), [row[1:] for row in ROWS], ids=[r[0] for r in ROWS])
def test_byte_by_byte_and_with_trailing_bytes(pdu: Pdu, wire: str) -> None:
    data = bytes.fromhex(wire.replace(" ", ""))
    for cut in range(len(data)):
        assert decode_pdu(data[:cut]) is None
    assert decode_pdu(data + data[:7]) == (pdu, len(data))


OTHER_BODIES = [
    Close(CloseReason.SHUTDOWN),
    Register(ENTERPRISE, timeout=5, priority=100, range_subid=3, upper_bound=9),
    GetBulk(1, 10, (SearchRange(NTP_MIB, ENTERPRISE, include=True), SearchRange(()))),
    VarBindList((VarBind(ValueType.COUNTER64, NTP_MIB, 2**63 + 5),
                 VarBind(ValueType.OBJECT_IDENTIFIER, (1, 3), ENTERPRISE),
                 VarBind(ValueType.IP_ADDRESS, (2, 7), b"\x7f\x00\x00\x01"),
                 VarBind(ValueType.INTEGER, (1, 3, 6, 1, 300), -5),
                 VarBind(ValueType.END_OF_MIB_VIEW, ENTERPRISE),
                 VarBind(ValueType.GAUGE32, (1,), 2**32 - 1))),
    Empty(),
]  # fmt: skip
TYPES = [PduType.CLOSE, PduType.REGISTER, PduType.GET_BULK, PduType.TEST_SET, PduType.PING]


@pytest.mark.parametrize(("kind", "body"), list(zip(TYPES, OTHER_BODIES, strict=True)))
@pytest.mark.parametrize("big_endian", [True, False])
def test_round_trips(kind: PduType, body: object, big_endian: bool) -> None:
    flags = Flags.NETWORK_BYTE_ORDER if big_endian else Flags.NONE
    pdu = Pdu(Header(kind, flags, 1, 2, 3), body)  # type: ignore[arg-type]
    data = encode_pdu(pdu, big_endian)
    assert decode_pdu(data) == (pdu, len(data))
    assert len(data) % 4 == 0


HEADER = "01061000 0000002a 00000007 00000009"
BAD = [
    ("version 2", "02061000 00000000 00000000 00000000 00000000", False, "version 2"),
    ("length not a multiple of 4", "01061000 00000000 00000000 00000000 00000003 000000",
     False, "payload length 3"),
    ("huge length", "01061000 00000000 00000000 00000000 7fffffff", False, "payload length"),
    ("unknown type", "01631000 00000000 00000000 00000000 00000000", False, "PDU type 99"),
    ("too many sub-identifiers", HEADER + " 00000004 c8000000", True, "200 sub-identifiers"),
    ("field runs past the payload", HEADER + " 00000004 02020000", True, "ends inside"),
    ("include is neither 0 nor 1", HEADER + " 00000008 00000200 00000000", True, "include"),
    ("unknown value type", "01121000 0000002a 00000007 00000009 00000010 00000000 00000000"
     "00090000 00000000", True, "value type 9"),
    ("octet string past the end", "01121000 0000002a 00000007 00000009 00000014 00000000"
     "00000000 00040000 00000000 000000ff", True, "runs past"),
    ("close reason 9", "01021000 0000002a 00000000 00000001 00000004 09000000", True,
     "close reason 9"),
    ("context on a response", "01121800 0000002a 00000000 00000001 00000004 00000000", True,
     "cannot carry a context"),
]  # fmt: skip


@pytest.mark.parametrize(("wire", "has_header", "words"), [r[1:] for r in BAD],
                         ids=[r[0] for r in BAD])  # fmt: skip
def test_bad_bytes_are_a_clear_error(wire: str, has_header: bool, words: str) -> None:
    with pytest.raises(AgentxError, match=words) as caught:
        decode_pdu(bytes.fromhex(wire.replace(" ", "")))
    assert (caught.value.header is not None) == has_header
