"""PTP messages built with scapy (scapy.contrib.ptp_v2) and raw bytes, independent of our
codec, sent from the client namespace by tests/interop/ptp_probe.py; what comes back is
decoded with scapy's PTP layer."""

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from scapy.contrib.ptp_v2 import PTP
from scapy.packet import Packet, Raw

from tests.interop.ptp_link import Link
from tests.scenarios.appliance import ROOT

PROBE_CLOCK = 0x02AAAAFFFE000099
EVENT, GENERAL = 319, 320
DELAY_REQ, FOLLOW_UP, DELAY_RESP, ANNOUNCE, MANAGEMENT = 0x1, 0x8, 0x9, 0xB, 0xD
SYNC = 0x0
GET, SET = 0, 1
ALL_PORTS = bytes.fromhex("ffffffffffffffffffff")
"""targetPortIdentity: every clock, every port."""


def delay_req(sequence: int, **fields: object) -> bytes:
    """A Delay_Req from our probe clock; `fields` override scapy's PTP fields."""
    values = {"messageType": DELAY_REQ, "controlField": 1, "clockIdentity": PROBE_CLOCK,
              "portNumber": 1, "sequenceId": sequence, "logMessageInterval": 0x7F}  # fmt: skip
    return bytes(PTP(**{**values, **fields}))


def with_tlv(message: bytes, tlv_type: int, claimed: int, value: bytes) -> bytes:
    """`message` with a TLV whose length field says `claimed` but carries `value`."""
    data = message + tlv_type.to_bytes(2) + claimed.to_bytes(2) + value
    return data[:2] + len(data).to_bytes(2) + data[4:]


def management(sequence: int, action: int, management_id: int, data: bytes = b"") -> bytes:
    """A management message to all ports (clause 15.4.1) with one management TLV."""
    tlv = (0x0001).to_bytes(2) + (2 + len(data)).to_bytes(2) + management_id.to_bytes(2) + data
    body = ALL_PORTS + bytes([1, 1, action, 0]) + tlv
    header = PTP(messageType=MANAGEMENT, controlField=4, clockIdentity=PROBE_CLOCK,
                 portNumber=1, sequenceId=sequence, logMessageInterval=0x7F,
                 messageLength=34 + len(body))  # fmt: skip
    return bytes(header / Raw(body))


@dataclass(frozen=True)
class Send:
    source: str
    port: int
    data: bytes


def exchange(
    link: Link, sends: Sequence[Send], want: Sequence[tuple[int, int]], seconds: float = 8
) -> list[Packet]:
    """Send from the client namespace, capture until each wanted (messageType, sequenceId or
    -1) came from the appliance; what it sent, decoded by scapy."""
    plan = {"sends": [[s.source, s.port, s.data.hex()] for s in sends], "want": want,
            "seconds": seconds}  # fmt: skip
    command = [sys.executable, "-m", "tests.interop.ptp_probe", "send", link.client_if,
               link.gm_address]  # fmt: skip
    output = link.run(link.client, *command, stdin=json.dumps(plan), cwd=str(ROOT))
    return [PTP(bytes.fromhex(data)) for _port, data in json.loads(output)]


def ts_info(link: Link, namespace: str, interface: str) -> tuple[list[str], int]:
    """ETHTOOL_GET_TS_INFO of an interface asked inside its namespace: the capabilities as
    `ethtool -T` names them, and the PHC index (-1: none)."""
    command = [sys.executable, "-m", "tests.interop.ptp_probe", "ts-info", interface]
    answer = json.loads(link.run(namespace, *command, cwd=str(ROOT)))
    return list(answer["names"]), int(answer["phc"])


def of_type(packets: Sequence[Packet], kind: int, sequence: int = -1) -> list[Packet]:
    return [
        packet
        for packet in packets
        if packet.messageType == kind and sequence in (-1, packet.sequenceId)
    ]
