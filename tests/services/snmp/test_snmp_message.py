"""The front door's SNMP message reader, from datagrams captured between net-snmp 5.9.3's
snmpget and snmpd: version, user name, and the report that names a failed login."""

import pytest

from services.snmp.snmp_message import (
    Message,
    PduType,
    SnmpMessageError,
    decode_message,
    decode_oid,
)

USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
# Engine discovery (no user) and snmpd's report usmStatsUnknownEngineIDs.
DISCOVERY = (
    "303e0201033011020469e55bcc020300ffe30401040201030410300e0400020100020100040004000400"
    "301404000400a00e020467e5ca700201000201003000"
)
UNKNOWN_ENGINE_REPORT = (
    "30710201033011020469e55bcc020300ffe30401000201030421301f041180001f8880a7d0d1768d810a"
    "6b000000000201010201020400040004003036041180001f8880a7d0d1768d810a6b000000000400a81f"
    "020467e5ca700201000201003011300f060a2b060106030f01010400410101"
)
# authPriv request of user "labro" with a wrong authentication passphrase, and the report.
LABRO_AUTH_PRIV = (
    "3081950201033011020469e55bcb020300ffe304010702010304463044041180001f8880a7d0d1768d81"
    "0a6b0000000002010102010204056c6162726f0418ae4591ba14b3c39de6dfcf5b3cc1b13e7a3c55b1f7"
    "798c98040818d44f40b57ad87504353828faa78a556640d881cb10dfddb2927105d8b92baa037c21e2d3"
    "541656b4c0d7b0c15d873f7cfd9ec66a2bbbf6149d281280e3b3"
)
WRONG_DIGEST_REPORT = (
    "30730201033011020469e55bcb020300ffe304010002010304263024041180001f8880a7d0d1768d810a"
    "6b0000000002010102010204056c6162726f040004003033041180001f8880a7d0d1768d810a6b000000"
    "000400a81c0201000201000201003011300f060a2b060106030f01010500410101"
)
UNKNOWN_USER_REPORT = (
    "3074020103301102044bb87f74020300ffe304010002010304273025041180001f8880a7d0d1768d810a"
    "6b0000000002010102010204066e6f626f6479040004003033041180001f8880a7d0d1768d810a6b0000"
    "00000400a81c0201000201000201003011300f060a2b060106030f01010300410101"
)
# authNoPriv GET of sysName.0 by "labro" (readable scoped PDU).
LABRO_AUTH_NO_PRIV = (
    "30818b0201033011020412ac1648020300ffe3040105020103043e303c041180001f8880a7d0d1768d81"
    "0a6b0000000002010102010304056c6162726f041862a02b7cd11710ac61f6545dd62652cf4f7dd5346e"
    "d856d704003033041180001f8880a7d0d1768d810a6b000000000400a01c020449152318020100020100"
    "300e300c06082b060102010105000500"
)
# snmpget -v2c / -v1 -c public of sysName.0, written out by hand.
V2C_GET = (
    "302902010104067075626c6963a01c0204" + "1c9a3b1f020100020100300e300c06082b060102010105000500"
)
V1_GET = (
    "302902010004067075626c6963a01c0204" + "1c9a3b1f020100020100300e300c06082b060102010105000500"
)
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)

ROWS = [
    (DISCOVERY, Message(3, b"", PduType.GET, None, msg_id=0x69E55BCC)),
    (UNKNOWN_ENGINE_REPORT,
     Message(3, b"", PduType.REPORT, (*USM_STATS, 4, 0), msg_id=0x69E55BCC)),
    (LABRO_AUTH_PRIV, Message(3, b"labro", encrypted=True, msg_id=0x69E55BCB)),
    (WRONG_DIGEST_REPORT,  # a report carries the msgID of the request it answers
     Message(3, b"labro", PduType.REPORT, (*USM_STATS, 5, 0), msg_id=0x69E55BCB)),
    (UNKNOWN_USER_REPORT,
     Message(3, b"nobody", PduType.REPORT, (*USM_STATS, 3, 0), msg_id=0x4BB87F74)),
    (LABRO_AUTH_NO_PRIV, Message(3, b"labro", PduType.GET, SYS_NAME, msg_id=0x12AC1648)),
    (V2C_GET, Message(1, b"", PduType.GET, SYS_NAME)),
    (V1_GET, Message(0, b"", PduType.GET, SYS_NAME)),
]  # fmt: skip


@pytest.mark.parametrize(("hex_bytes", "expected"), ROWS)
def test_captured_messages(hex_bytes: str, expected: Message) -> None:
    assert decode_message(bytes.fromhex(hex_bytes)) == expected


@pytest.mark.parametrize(("hex_bytes", "expected"), ROWS)
def test_every_truncation_is_an_error_not_a_crash(hex_bytes: str, expected: Message) -> None:
    data = bytes.fromhex(hex_bytes)
    for cut in range(len(data)):
        with pytest.raises(SnmpMessageError):
            decode_message(data[:cut])


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30", b"\x30\x85\x00\x00\x00\x00\x01", b"\x30\x03\x02\x01\x02",
     b"\x30\x03\x04\x01\x00", b"\x30\x80\x02\x01\x03", bytes.fromhex("3006020101040100"),
     bytes.fromhex("300b020101040100af0400000000")],
    ids=["empty", "tag-only", "length-of-5-bytes", "version-2", "no-version",
         "indefinite-length", "no-pdu", "unknown-pdu"],
)  # fmt: skip
def test_bad_input_is_an_error(data: bytes) -> None:
    with pytest.raises(SnmpMessageError):
        decode_message(data)


def test_object_identifiers() -> None:
    assert decode_oid(bytes.fromhex("2b060102010105")) == (1, 3, 6, 1, 2, 1, 1, 5)
    assert decode_oid(bytes.fromhex("2b06010401bf08")) == (1, 3, 6, 1, 4, 1, 8072)
    with pytest.raises(SnmpMessageError):
        decode_oid(bytes.fromhex("2b86"))
