"""Answers to management messages (IEEE 1588-2019 clause 15): GET of the data sets pmc asks
for; SET and COMMAND are refused, since nothing of this clock may be changed over PTP (the
profile has no authentication)."""

from __future__ import annotations

from collections.abc import Mapping

from services.ptp.datasets import (
    DataSet,
    ErrorStatus,
    ManagementError,
    ManagementId,
    TlvType,
    error_tlv,
    management_tlv,
    read_management,
)
from services.ptp.messages import (
    WILDCARD,
    Action,
    Header,
    Malformed,
    Management,
    MessageType,
    PortIdentity,
    PtpMessageError,
    Tlv,
)

KNOWN_IDS = frozenset(int(management_id) for management_id in ManagementId)


def addressed_to(request: Management, ours: PortIdentity) -> bool:
    """The target port identity names this port, or all clocks, or all ports of this clock
    (clause 15.3.1)."""
    clock_ok = request.target.clock in (ours.clock, WILDCARD.clock)
    return clock_ok and request.target.port in (ours.port, WILDCARD.port)


def answer(
    request: Management, ours: PortIdentity, data_sets: Mapping[ManagementId, DataSet]
) -> tuple[Management, bool]:
    """The response to a request addressed to us, and whether it was answered with data
    (False: an error status). Raises PtpMessageError for a request without one management
    TLV."""
    if len(request.tlvs) != 1:
        message = f"a management request carries {len(request.tlvs)} TLVs, not 1"
        raise PtpMessageError(message, Malformed.TLV)
    tlv = read_management(request.tlvs[0])
    if isinstance(tlv, ErrorStatus):
        raise PtpMessageError("a management request carries an error status", Malformed.TLV)
    reply: Tlv
    if request.action != Action.GET:
        reply = error_tlv(ManagementError.NOT_SUPPORTED, tlv.id)
    elif tlv.id in data_sets:
        reply = management_tlv(data_sets[ManagementId(tlv.id)])
    elif tlv.id in KNOWN_IDS:
        reply = error_tlv(ManagementError.NOT_SUPPORTED, tlv.id)
    else:
        reply = error_tlv(ManagementError.NO_SUCH_ID, tlv.id)
    header = Header(MessageType.MANAGEMENT, ours, request.header.sequence_id, request.header.domain)
    hops = max(0, request.starting_hops - request.hops)
    response = Management(header, request.header.source, hops, hops, Action.RESPONSE, (reply,))
    return response, reply.type == TlvType.MANAGEMENT
