"""The subagent's session without sockets: open, register, answer from the view (GetNext and
GetBulk as RFC 2741 7.2.3 says), refuse every set, answer parseError, end on Close."""

import pytest

from services.snmp.agentx import (
    Close,
    CloseReason,
    Empty,
    Error,
    Get,
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
)
from services.snmp.agentx_codec import decode_pdu, encode_pdu
from services.snmp.mib_view import MibView
from services.snmp.subagent import SessionLost, State, Subagent

A, B = (1, 3, 6, 1, 4, 1, 9, 1), (1, 3, 6, 1, 4, 1, 9, 2)
VIEW = MibView(
    [
        VarBind(ValueType.INTEGER, (*A, 1, 0), 1),
        VarBind(ValueType.INTEGER, (*A, 2, 0), 2),
        VarBind(ValueType.COUNTER64, (*B, 1, 0), 3),
    ]
)
END = ValueType.END_OF_MIB_VIEW


def pdus(data: bytes) -> list[Pdu]:
    found = []
    while data:
        decoded = decode_pdu(data)
        assert decoded is not None
        found.append(decoded[0])
        data = data[decoded[1] :]
    return found


def master(kind: PduType, body: object, packet: int = 50, session: int = 7) -> bytes:
    return encode_pdu(
        Pdu(Header(kind, session_id=session, transaction_id=3, packet_id=packet), body)
    )  # type: ignore[arg-type]


def opened() -> Subagent:
    agent = Subagent((1, 3, 6, 1, 4, 1, 9), "test", (A, B), lambda: VIEW)
    (open_pdu,) = pdus(agent.start())
    assert open_pdu.body == Open(5, (1, 3, 6, 1, 4, 1, 9), b"test")
    registers = pdus(
        agent.receive(master(PduType.RESPONSE, Response(0, 0, 0), open_pdu.header.packet_id))
    )
    assert [p.body for p in registers] == [Register(A), Register(B)]
    assert all(p.header.session_id == 7 for p in registers) and agent.state is State.REGISTERING
    for pdu in registers:
        assert (
            agent.receive(master(PduType.RESPONSE, Response(0, 0, 0), pdu.header.packet_id)) == b""
        )
    assert agent.state is State.READY
    return agent


def answer(agent: Subagent, kind: PduType, body: object) -> Response:
    (reply,) = pdus(agent.receive(master(kind, body)))
    assert reply.header.packet_id == 50 and reply.header.transaction_id == 3
    assert isinstance(reply.body, Response)
    return reply.body


def test_get_getnext_and_the_end_of_the_view() -> None:
    agent = opened()
    got = answer(agent, PduType.GET, Get((SearchRange((*A, 2, 0)), SearchRange((*A, 9)))))
    assert [(v.type, v.value) for v in got.varbinds] == [
        (ValueType.INTEGER, 2),
        (ValueType.NO_SUCH_OBJECT, None),
    ]
    nexts = answer(
        agent,
        PduType.GET_NEXT,
        GetNext(
            (
                SearchRange(A),
                SearchRange((*A, 1, 0), include=True),
                SearchRange((*A, 2, 0), B),
                SearchRange((*B, 1, 0)),
            )
        ),
    )
    assert [(v.name, v.type) for v in nexts.varbinds] == [
        ((*A, 1, 0), ValueType.INTEGER),
        ((*A, 1, 0), ValueType.INTEGER),
        ((*A, 2, 0), END),
        ((*B, 1, 0), END),
    ]


def test_getbulk_interleaves_repetitions() -> None:
    agent = opened()
    bulk = answer(
        agent,
        PduType.GET_BULK,
        GetBulk(1, 5, (SearchRange(A), SearchRange(A), SearchRange((*A, 1, 0)))),
    )
    assert [v.name for v in bulk.varbinds] == [
        (*A, 1, 0),
        (*A, 1, 0),
        (*A, 2, 0),
        (*A, 2, 0),
        (*B, 1, 0),
        (*B, 1, 0),
        (*B, 1, 0),
        (*B, 1, 0),
        (*B, 1, 0),
    ]
    # The last full row is all endOfMibView, and there the repetitions stop (not at 5).
    assert [v.type for v in bulk.varbinds][-4:] == [ValueType.COUNTER64, END, END, END]


def test_every_set_is_refused_and_cleanup_gets_no_answer() -> None:
    agent = opened()
    test = answer(
        agent, PduType.TEST_SET, VarBindList((VarBind(ValueType.INTEGER, (*A, 1, 0), 5),))
    )
    assert (test.error, test.index) == (Error.NOT_WRITABLE, 1)
    assert agent.receive(master(PduType.CLEANUP_SET, Empty())) == b""
    assert agent.counters.sets_refused == 1


def test_bad_pdus_get_parse_error_and_lost_framing_ends_the_session() -> None:
    agent = opened()
    bad = bytes.fromhex("01061000 00000007 00000003 00000032 00000004 c8000000".replace(" ", ""))
    (reply,) = pdus(agent.receive(bad))
    assert isinstance(reply.body, Response) and reply.body.error == Error.PARSE_ERROR
    assert agent.counters.parse_errors == 1
    assert answer(agent, PduType.GET, Get((SearchRange((*A, 1, 0)),))).varbinds[0].value == 1
    with pytest.raises(SessionLost, match="framing"):
        agent.receive(b"\x02" + bytes(19))


def test_requests_before_open_or_for_another_session_are_not_open() -> None:
    agent = opened()
    assert answer(agent, PduType.GET, Get(())).error == Error.NO_ERROR
    (reply,) = pdus(agent.receive(master(PduType.GET, Get(()), session=8)))
    assert isinstance(reply.body, Response) and reply.body.error == Error.NOT_OPEN


def test_a_refused_open_and_a_close_end_the_session() -> None:
    agent = Subagent((1,), "t", (A,), lambda: VIEW)
    (open_pdu,) = pdus(agent.start())
    with pytest.raises(SessionLost, match="refused to open: open_failed"):
        agent.receive(
            master(PduType.RESPONSE, Response(0, Error.OPEN_FAILED, 0), open_pdu.header.packet_id)
        )
    agent = opened()
    with pytest.raises(SessionLost, match="shutdown"):
        agent.receive(master(PduType.CLOSE, Close(CloseReason.SHUTDOWN)))


def test_a_notification_is_a_notify_pdu_and_a_refusal_keeps_the_session() -> None:
    agent = opened()
    trap = (VarBind(ValueType.OBJECT_IDENTIFIER, (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), A),
            VarBind(ValueType.INTEGER, (*A, 1, 0), 1))  # fmt: skip
    (notify,) = pdus(agent.notify(trap))
    assert notify.header.type == PduType.NOTIFY and notify.header.session_id == 7
    assert notify.body == VarBindList(trap)
    refusal = Response(0, Error.PROCESSING_ERROR, 1)
    assert agent.receive(master(PduType.RESPONSE, refusal, notify.header.packet_id)) == b""
    assert agent.state is State.READY
    assert (agent.counters.notifications, agent.counters.notifications_refused) == (1, 1)


def test_no_notification_without_a_session() -> None:
    agent = Subagent((1, 3, 6, 1, 4, 1, 9), "test", (A,), lambda: VIEW)
    assert agent.notify([VarBind(ValueType.INTEGER, (*A, 1, 0), 1)]) == b""
    agent.start()
    assert agent.notify([VarBind(ValueType.INTEGER, (*A, 1, 0), 1)]) == b""
