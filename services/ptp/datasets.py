"""The data sets a grandmaster keeps (IEEE 1588-2019 clause 8.2) and their management TLV
encodings (clause 15.5.3), the ones `pmc` asks for: default, current, parent, time
properties and port.

Each data set is a frozen dataclass with `pack()` and `unpack()`, both directions, so the
tests can read linuxptp's own answers with the same code that writes ours.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Protocol, Self

from services.ptp.messages import (
    PORT_IDENTITY,
    ClockQuality,
    Flag,
    Malformed,
    PortIdentity,
    PtpMessageError,
    Tlv,
)


class TlvType(IntEnum):
    MANAGEMENT = 0x0001
    MANAGEMENT_ERROR_STATUS = 0x0002


class ManagementId(IntEnum):
    NULL_MANAGEMENT = 0x0000
    CLOCK_DESCRIPTION = 0x0001
    DEFAULT_DATA_SET = 0x2000
    CURRENT_DATA_SET = 0x2001
    PARENT_DATA_SET = 0x2002
    TIME_PROPERTIES_DATA_SET = 0x2003
    PORT_DATA_SET = 0x2004


class ManagementError(IntEnum):
    RESPONSE_TOO_BIG = 0x0001
    NO_SUCH_ID = 0x0002
    WRONG_LENGTH = 0x0003
    WRONG_VALUE = 0x0004
    NOT_SETABLE = 0x0005
    NOT_SUPPORTED = 0x0006
    GENERAL_ERROR = 0xFFFE


class PortState(IntEnum):
    INITIALIZING = 1
    FAULTY = 2
    DISABLED = 3
    LISTENING = 4
    PRE_MASTER = 5
    MASTER = 6
    PASSIVE = 7
    UNCALIBRATED = 8
    SLAVE = 9


class TimeSource(IntEnum):
    ATOMIC_CLOCK = 0x10
    GNSS = 0x20
    TERRESTRIAL_RADIO = 0x30
    PTP = 0x40
    NTP = 0x50
    HAND_SET = 0x60
    OTHER = 0x90
    INTERNAL_OSCILLATOR = 0xA0


QUALITY = struct.Struct("!BBH")
DEFAULT_DS = struct.Struct("!BxHB4sB8sBx")
CURRENT_DS = struct.Struct("!Hqq")
PARENT_DS = struct.Struct("!10sBxHiB4sB8s")
TIME_PROPERTIES_DS = struct.Struct("!hBB")
PORT_DS = struct.Struct("!10sBbqbbbBbB")
MANAGEMENT_ID = struct.Struct("!H")
ERROR_STATUS = struct.Struct("!HH4x")
DELAY_E2E = 1


def _quality(quality: ClockQuality) -> bytes:
    return QUALITY.pack(quality.clock_class, quality.accuracy, quality.variance)


def _read_quality(raw: bytes) -> ClockQuality:
    return ClockQuality(*QUALITY.unpack(raw))


def _identity(raw: bytes) -> PortIdentity:
    clock, port = PORT_IDENTITY.unpack(raw)
    return PortIdentity(bytes(clock), port)


def _identity_bytes(identity: PortIdentity) -> bytes:
    return PORT_IDENTITY.pack(identity.clock, identity.port)


class DataSet(Protocol):
    ID: ClassVar[ManagementId]

    def pack(self) -> bytes: ...


def _unpack_checked(layout: struct.Struct, data: bytes) -> tuple[Any, ...]:
    if len(data) != layout.size:
        raise PtpMessageError(f"data set of {len(data)} bytes, {layout.size} expected")
    return layout.unpack(data)


@dataclass(frozen=True)
class DefaultDataSet:
    ID: ClassVar[ManagementId] = ManagementId.DEFAULT_DATA_SET
    two_step: bool
    slave_only: bool
    number_ports: int
    priority1: int
    quality: ClockQuality
    priority2: int
    clock: bytes
    domain: int

    def pack(self) -> bytes:
        flags = int(self.two_step) | int(self.slave_only) << 1
        return DEFAULT_DS.pack(
            flags, self.number_ports, self.priority1, _quality(self.quality), self.priority2,
            self.clock, self.domain,
        )  # fmt: skip

    @classmethod
    def unpack(cls, data: bytes) -> Self:
        flags, ports, p1, quality, p2, clock, domain = _unpack_checked(DEFAULT_DS, data)
        return cls(
            bool(flags & 1), bool(flags & 2), ports, p1, _read_quality(quality), p2, clock, domain
        )


@dataclass(frozen=True)
class CurrentDataSet:
    ID: ClassVar[ManagementId] = ManagementId.CURRENT_DATA_SET
    steps_removed: int = 0
    offset_from_master: int = 0
    """TimeInterval: nanoseconds times 2**16."""
    mean_path_delay: int = 0

    def pack(self) -> bytes:
        return CURRENT_DS.pack(self.steps_removed, self.offset_from_master, self.mean_path_delay)

    @classmethod
    def unpack(cls, data: bytes) -> Self:
        return cls(*_unpack_checked(CURRENT_DS, data))


@dataclass(frozen=True)
class ParentDataSet:
    ID: ClassVar[ManagementId] = ManagementId.PARENT_DATA_SET
    parent: PortIdentity
    parent_stats: bool
    observed_variance: int
    observed_phase_change_rate: int
    gm_priority1: int
    gm_quality: ClockQuality
    gm_priority2: int
    grandmaster: bytes

    def pack(self) -> bytes:
        return PARENT_DS.pack(
            _identity_bytes(self.parent), int(self.parent_stats), self.observed_variance,
            self.observed_phase_change_rate, self.gm_priority1, _quality(self.gm_quality),
            self.gm_priority2, self.grandmaster,
        )  # fmt: skip

    @classmethod
    def unpack(cls, data: bytes) -> Self:
        parent, stats, variance, rate, p1, quality, p2, gm = _unpack_checked(PARENT_DS, data)
        return cls(
            _identity(parent), bool(stats & 1), variance, rate, p1, _read_quality(quality), p2, gm
        )


@dataclass(frozen=True)
class TimePropertiesDataSet:
    ID: ClassVar[ManagementId] = ManagementId.TIME_PROPERTIES_DATA_SET
    utc_offset: int
    flags: int
    """The low octet of flagField: leap61, leap59, currentUtcOffsetValid, ptpTimescale,
    timeTraceable, frequencyTraceable (Flag)."""
    time_source: int

    def pack(self) -> bytes:
        return TIME_PROPERTIES_DS.pack(self.utc_offset, self.flags, self.time_source)

    @classmethod
    def unpack(cls, data: bytes) -> Self:
        return cls(*_unpack_checked(TIME_PROPERTIES_DS, data))

    def has(self, flag: Flag) -> bool:
        return bool(self.flags & flag)


@dataclass(frozen=True)
class PortDataSet:
    ID: ClassVar[ManagementId] = ManagementId.PORT_DATA_SET
    identity: PortIdentity
    state: int
    log_min_delay_req_interval: int
    log_announce_interval: int
    announce_receipt_timeout: int
    log_sync_interval: int
    peer_mean_path_delay: int = 0
    delay_mechanism: int = DELAY_E2E
    log_min_pdelay_req_interval: int = 0
    version: int = 2

    def pack(self) -> bytes:
        return PORT_DS.pack(
            _identity_bytes(self.identity), self.state, self.log_min_delay_req_interval,
            self.peer_mean_path_delay, self.log_announce_interval,
            self.announce_receipt_timeout, self.log_sync_interval, self.delay_mechanism,
            self.log_min_pdelay_req_interval, self.version,
        )  # fmt: skip

    @classmethod
    def unpack(cls, data: bytes) -> Self:
        (identity, state, min_delay, peer_delay, announce, timeout, sync, mechanism,
         pdelay, version) = _unpack_checked(PORT_DS, data)  # fmt: skip
        return cls(
            _identity(identity),
            state,
            min_delay,
            announce,
            timeout,
            sync,
            peer_delay,
            mechanism,
            pdelay,
            version & 0x0F,
        )


DATA_SETS: dict[ManagementId, type[DefaultDataSet | CurrentDataSet | ParentDataSet |
                                 TimePropertiesDataSet | PortDataSet]] = {
    cls.ID: cls
    for cls in (DefaultDataSet, CurrentDataSet, ParentDataSet, TimePropertiesDataSet, PortDataSet)
}  # fmt: skip


@dataclass(frozen=True)
class ManagementTlv:
    id: int
    data: bytes = b""


@dataclass(frozen=True)
class ErrorStatus:
    error: int
    id: int


def management_tlv(data_set: DataSet) -> Tlv:
    return Tlv(TlvType.MANAGEMENT, MANAGEMENT_ID.pack(data_set.ID) + data_set.pack())


def error_tlv(error: ManagementError, management_id: int) -> Tlv:
    return Tlv(TlvType.MANAGEMENT_ERROR_STATUS, ERROR_STATUS.pack(error, management_id))


def read_management(tlv: Tlv) -> ManagementTlv | ErrorStatus:
    """A management message's TLV: the id with its data, or an error status."""
    if tlv.type == TlvType.MANAGEMENT and len(tlv.value) >= MANAGEMENT_ID.size:
        (management_id,) = MANAGEMENT_ID.unpack_from(tlv.value)
        return ManagementTlv(management_id, tlv.value[MANAGEMENT_ID.size :])
    if tlv.type == TlvType.MANAGEMENT_ERROR_STATUS and len(tlv.value) >= ERROR_STATUS.size:
        return ErrorStatus(*ERROR_STATUS.unpack_from(tlv.value))
    message = f"TLV 0x{tlv.type:04x} of {len(tlv.value)} bytes is no management TLV"
    raise PtpMessageError(message, Malformed.TLV)
