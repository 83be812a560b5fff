"""The AgentX protocol (RFC 2741): its PDUs as frozen dataclasses and its wire constants.
agentx_codec.py turns them into bytes and back. OIDs are tuples of ints."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, IntFlag

Oid = tuple[int, ...]

HEADER_SIZE = 20
VERSION = 1
MAX_PAYLOAD = 1 << 20
"""Larger claims are lost framing, not a PDU: snmpd's own PDUs are far smaller."""
MAX_SUBIDS = 128
INTERNET = (1, 3, 6, 1)


class PduType(IntEnum):
    OPEN = 1
    CLOSE = 2
    REGISTER = 3
    UNREGISTER = 4
    GET = 5
    GET_NEXT = 6
    GET_BULK = 7
    TEST_SET = 8
    COMMIT_SET = 9
    UNDO_SET = 10
    CLEANUP_SET = 11
    NOTIFY = 12
    PING = 13
    INDEX_ALLOCATE = 14
    INDEX_DEALLOCATE = 15
    ADD_AGENT_CAPS = 16
    REMOVE_AGENT_CAPS = 17
    RESPONSE = 18


class Flags(IntFlag):
    NONE = 0
    INSTANCE_REGISTRATION = 0x01
    NEW_INDEX = 0x02
    ANY_INDEX = 0x04
    NON_DEFAULT_CONTEXT = 0x08
    NETWORK_BYTE_ORDER = 0x10


class ValueType(IntEnum):
    INTEGER = 2
    OCTET_STRING = 4
    NULL = 5
    OBJECT_IDENTIFIER = 6
    IP_ADDRESS = 64
    COUNTER32 = 65
    GAUGE32 = 66
    TIME_TICKS = 67
    OPAQUE = 68
    COUNTER64 = 70
    NO_SUCH_OBJECT = 128
    NO_SUCH_INSTANCE = 129
    END_OF_MIB_VIEW = 130


class Error(IntEnum):
    """res.error of a Response: SNMP's error-status values and AgentX's own."""

    NO_ERROR = 0
    GEN_ERR = 5
    NO_ACCESS = 6
    NOT_WRITABLE = 17
    OPEN_FAILED = 256
    NOT_OPEN = 257
    UNSUPPORTED_CONTEXT = 262
    DUPLICATE_REGISTRATION = 263
    UNKNOWN_REGISTRATION = 264
    PARSE_ERROR = 266
    REQUEST_DENIED = 267
    PROCESSING_ERROR = 268


class CloseReason(IntEnum):
    OTHER = 1
    PARSE_ERROR = 2
    PROTOCOL_ERROR = 3
    TIMEOUTS = 4
    SHUTDOWN = 5
    BY_MANAGER = 6


class AgentxError(Exception):
    """Bytes that are no AgentX PDU. `header` is set when the header itself was sound, so
    that the peer can be answered parseError; without it, framing is lost."""

    def __init__(self, message: str, header: Header | None = None, size: int = 0) -> None:
        super().__init__(message)
        self.header = header
        self.size = size
        """With a header: the bytes the bad PDU takes, header included, to skip it."""


@dataclass(frozen=True)
class Header:
    type: PduType
    flags: Flags = Flags.NETWORK_BYTE_ORDER
    session_id: int = 0
    transaction_id: int = 0
    packet_id: int = 0


# Value types and how their data is laid out: 4-byte integers, 8-byte, octet strings, OIDs,
# or nothing at all.
VALUE_KINDS: dict[ValueType, str] = {
    ValueType.INTEGER: "i", ValueType.COUNTER32: "I", ValueType.GAUGE32: "I",
    ValueType.TIME_TICKS: "I", ValueType.COUNTER64: "Q",
    ValueType.OCTET_STRING: "octets", ValueType.IP_ADDRESS: "octets", ValueType.OPAQUE: "octets",
    ValueType.OBJECT_IDENTIFIER: "oid",
    ValueType.NULL: "", ValueType.NO_SUCH_OBJECT: "", ValueType.NO_SUCH_INSTANCE: "",
    ValueType.END_OF_MIB_VIEW: "",
}  # fmt: skip

Value = int | bytes | Oid | None


@dataclass(frozen=True)
class VarBind:
    type: ValueType
    name: Oid
    value: Value = None


@dataclass(frozen=True)
class SearchRange:
    start: Oid
    end: Oid = ()
    include: bool = False


# -- PDU bodies -------------------------------------------------------------------------


@dataclass(frozen=True)
class Open:
    timeout: int
    id: Oid
    description: bytes


@dataclass(frozen=True)
class Close:
    reason: CloseReason


@dataclass(frozen=True)
class Register:
    subtree: Oid
    timeout: int = 0
    priority: int = 127
    range_subid: int = 0
    upper_bound: int = 0


@dataclass(frozen=True)
class Get:
    ranges: tuple[SearchRange, ...]


@dataclass(frozen=True)
class GetNext:
    ranges: tuple[SearchRange, ...]


@dataclass(frozen=True)
class GetBulk:
    non_repeaters: int
    max_repetitions: int
    ranges: tuple[SearchRange, ...]


@dataclass(frozen=True)
class VarBindList:
    """The body of TestSet and Notify: a list of variable bindings."""

    varbinds: tuple[VarBind, ...]


@dataclass(frozen=True)
class Empty:
    """The body of CommitSet, UndoSet, CleanupSet and Ping."""


@dataclass(frozen=True)
class Response:
    sys_uptime: int
    error: int
    index: int
    varbinds: tuple[VarBind, ...] = ()


@dataclass(frozen=True)
class Unsupported:
    """A PDU a subagent is never sent (IndexAllocate, AddAgentCaps, ...): kept raw."""

    payload: bytes


Body = (
    Open | Close | Register | Get | GetNext | GetBulk | VarBindList | Empty | Response | Unsupported
)


@dataclass(frozen=True)
class Pdu:
    header: Header
    body: Body
    context: bytes | None = field(default=None)
    """The non-default context, for the PDUs that carry one."""
