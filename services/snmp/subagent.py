"""The subagent's side of an AgentX session, free of I/O: open, register each subtree, then
answer the master's requests from a MibView. Bytes in, bytes out; the adapter owns the
socket and calls `start()` again on a new connection when this one is lost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from services.snmp.agentx import (
    AgentxError,
    Close,
    CloseReason,
    Empty,
    Error,
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
    VarBind,
    VarBindList,
)  # fmt: skip
from services.snmp.agentx_codec import decode_pdu, encode_pdu
from services.snmp.mib_view import MibView

TIMEOUT_S = 5
MAX_BUFFER = 1 << 21


class State(Enum):
    CLOSED = "closed"
    OPENING = "opening"
    REGISTERING = "registering"
    READY = "ready"


class SessionLost(Exception):
    """The session is over (refused, closed by the master, or framing lost): reconnect."""


@dataclass
class Counters:
    requests: int = 0
    parse_errors: int = 0
    sets_refused: int = 0
    notifications: int = 0
    notifications_refused: int = 0


class Subagent:
    """One AgentX session as a state machine. `view()` is called for each request, so that
    answers come from the latest status snapshot."""

    def __init__(
        self, ident: Oid, description: str, subtrees: tuple[Oid, ...], view: Callable[[], MibView]
    ) -> None:
        self.ident = ident
        self.description = description.encode()
        self.subtrees = subtrees
        self.view = view
        self.state = State.CLOSED
        self.session_id = 0
        self.packet_id = 0
        self.buffer = b""
        self.pending: set[int] = set()
        self.counters = Counters()

    def start(self) -> bytes:
        """A new connection: the Open PDU to send first."""
        self.state, self.buffer, self.session_id, self.pending = State.OPENING, b"", 0, set()
        return self._send(PduType.OPEN, Open(TIMEOUT_S, self.ident, self.description))

    def close(self) -> bytes:
        """The Close PDU for a clean shutdown."""
        self.state = State.CLOSED
        return self._send(PduType.CLOSE, Close(CloseReason.SHUTDOWN))

    def notify(self, varbinds: Sequence[VarBind]) -> bytes:
        """A Notify PDU (RFC 2741 6.2.10: snmpTrapOID.0 first) that snmpd sends on to every
        target; nothing while no session is open (the notification is then lost, counted
        by the caller)."""
        if self.state is not State.READY:
            return b""
        self.counters.notifications += 1
        return self._send(PduType.NOTIFY, VarBindList(tuple(varbinds)))

    def receive(self, data: bytes) -> bytes:
        """Bytes from the master in, the bytes to send back out; SessionLost ends it."""
        self.buffer += data
        if len(self.buffer) > MAX_BUFFER:
            raise SessionLost("the master sent more than a PDU can hold")
        out = []
        while True:
            try:
                found = decode_pdu(self.buffer)
            except AgentxError as exc:
                if exc.header is None:
                    raise SessionLost(f"framing lost: {exc}") from exc
                self.buffer = self.buffer[exc.size :]
                self.counters.parse_errors += 1
                if exc.header.type != PduType.RESPONSE:
                    out.append(self._respond(exc.header, Error.PARSE_ERROR))
                continue
            if found is None:
                return b"".join(out)
            pdu, used = found
            self.buffer = self.buffer[used:]
            out.append(self._handle(pdu))

    def _handle(self, pdu: Pdu) -> bytes:
        header, body = pdu.header, pdu.body
        if isinstance(body, Response):
            return self._response(header, body)
        if isinstance(body, Close):
            self.state = State.CLOSED
            raise SessionLost(f"the master closed the session ({body.reason.name.lower()})")
        if self.state is State.OPENING or header.session_id != self.session_id:
            return self._respond(header, Error.NOT_OPEN)
        self.counters.requests += 1
        return self._request(header, body, pdu.context)

    def _request(self, header: Header, body: object, context: bytes | None) -> bytes:
        if context is not None:
            return self._respond(header, Error.UNSUPPORTED_CONTEXT)
        match body:
            case Get():
                view = self.view()
                return self._respond(
                    header, Error.NO_ERROR, [view.get(r.start) for r in body.ranges]
                )
            case GetNext():
                view = self.view()
                return self._respond(header, Error.NO_ERROR, [view.next(r) for r in body.ranges])
            case GetBulk():
                view = self.view()
                return self._answer(
                    header, view.bulk(body.non_repeaters, body.max_repetitions, body.ranges)
                )
            case VarBindList() if header.type == PduType.TEST_SET:
                self.counters.sets_refused += 1
                return self._respond(header, Error.NOT_WRITABLE, index=1)
            case Empty() if header.type == PduType.CLEANUP_SET:
                return b""
            case Empty() if header.type in (PduType.COMMIT_SET, PduType.UNDO_SET):
                return self._respond(header, Error.NO_ERROR)
        return self._respond(header, Error.PROCESSING_ERROR)

    def _response(self, header: Header, body: Response) -> bytes:
        """The master's answers to our Open, Registers and Notifies."""
        if header.packet_id not in self.pending:
            return b""
        self.pending.discard(header.packet_id)
        if self.state is State.READY:
            self.counters.notifications_refused += body.error != Error.NO_ERROR
            return b""
        if body.error != Error.NO_ERROR:
            what = "open" if self.state is State.OPENING else "register"
            raise SessionLost(f"the master refused to {what}: {_error_name(body.error)}")
        if self.state is State.OPENING:
            self.session_id = header.session_id
            self.state = State.REGISTERING
            return b"".join(self._send(PduType.REGISTER, Register(tree)) for tree in self.subtrees)
        if self.state is State.REGISTERING and not self.pending:
            self.state = State.READY
        return b""

    def _send(self, kind: PduType, body: object) -> bytes:
        self.packet_id = (self.packet_id + 1) & 0xFFFFFFFF
        self.pending.add(self.packet_id)
        header = Header(kind, session_id=self.session_id, packet_id=self.packet_id)
        return encode_pdu(Pdu(header, body))  # type: ignore[arg-type]

    def _answer(self, header: Header, varbinds: list[VarBind]) -> bytes:
        return self._respond(header, Error.NO_ERROR, varbinds)

    def _respond(
        self, header: Header, error: Error, varbinds: list[VarBind] | None = None, index: int = 0
    ) -> bytes:
        reply = Header(
            PduType.RESPONSE, session_id=header.session_id,
            transaction_id=header.transaction_id, packet_id=header.packet_id,
        )  # fmt: skip
        return encode_pdu(Pdu(reply, Response(0, error, index, tuple(varbinds or ()))))


def _error_name(code: int) -> str:
    try:
        return Error(code).name.lower()
    except ValueError:
        return f"error {code}"
