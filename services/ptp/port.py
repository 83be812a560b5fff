"""The grandmaster's one PTP port, free of I/O: bytes and timestamps in, messages out.

Inputs: `receive()` (a datagram, its sender, its receive time in served UTC), `poll()`
(monotonic now: timers), `transmitted()` (the transmit time of a Sync, which releases its
Follow_Up: two-step, clause 9.5.10) and `update()` (new time properties). Outputs: `Send`
rows the adapter writes to a socket, and `changes`, the port's state changes for events.

The port listens first (LISTENING) for an announce receipt timeout; then it masters unless
a better master is heard on the domain, in which case it is PASSIVE (clause 9.3.3, P1): it
never becomes a slave. Delay_Req and management messages are answered only to addresses
the allow-list admits, and Delay_Req within a rate per source.
"""

from __future__ import annotations

import random
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from firmware.base.access import AccessRules
from firmware.base.ratelimit import ClientTable
from services.ptp.bmca import Candidate, ForeignMasters, better
from services.ptp.datasets import (
    CurrentDataSet,
    DataSet,
    DefaultDataSet,
    ManagementId,
    ParentDataSet,
    PortDataSet,
    PortState,
    TimePropertiesDataSet,
)
from services.ptp.management import addressed_to, answer
from services.ptp.messages import (
    Announce,
    ClockQuality,
    DelayReq,
    DelayResp,
    Flag,
    FollowUp,
    Header,
    Malformed,
    Management,
    Message,
    MessageType,
    PortIdentity,
    PtpMessageError,
    Sync,
    decode_message,
    encode_message,
)

SECOND = 1_000_000_000
PORT_NUMBER = 1
SLAVES_KEPT = 256
DELAY_REQ_BURST = 8
COUNTERS = (
    "received", "malformed", "other_domain", "own", "announce_heard", "delay_req",
    "delay_resp", "sync", "follow_up", "announce", "management", "management_refused",
    "denied", "rate_limited", "ignored", "no_timestamp",
    *(f"malformed_{kind}" for kind in Malformed),
)  # fmt: skip


@dataclass(frozen=True)
class PortSettings:
    """What [services.ptp] sets for the port (clause 8.2.15 port data set)."""

    clock: bytes
    domain: int = 0
    priority1: int = 128
    priority2: int = 128
    log_announce_interval: int = 1
    log_sync_interval: int = 0
    log_min_delay_req_interval: int = 0
    announce_receipt_timeout: int = 3
    allow: Sequence[str] = ()


@dataclass(frozen=True)
class TimeProperties:
    """What the sync state makes of this clock: its quality and the time properties data
    set (clause 8.2.4)."""

    quality: ClockQuality
    utc_offset: int
    flags: int
    """Low octet of flagField: Flag.LEAP61 ... Flag.FREQUENCY_TRACEABLE."""
    time_source: int


@dataclass(frozen=True)
class Send:
    """One datagram to send, to the PTP multicast group on the event or general port."""

    general: bool
    data: bytes
    stamp: int | None = None
    """The sequence id of a Sync whose transmit time `transmitted()` expects."""


class Event(Enum):
    LISTENED = "no better master heard while listening"
    BETTER_MASTER = "a better master is heard on the domain"
    BEST = "no better master is heard any more"


# Port state table (clause 9.2.5 as far as a grandmaster-only clock goes): state x event ->
# next state; a pair missing from the table leaves the state as it is.
TRANSITIONS: dict[tuple[PortState, Event], PortState] = {
    (PortState.LISTENING, Event.LISTENED): PortState.MASTER,
    (PortState.LISTENING, Event.BETTER_MASTER): PortState.PASSIVE,
    (PortState.MASTER, Event.BETTER_MASTER): PortState.PASSIVE,
    (PortState.PASSIVE, Event.BEST): PortState.MASTER,
}


@dataclass(frozen=True)
class StateChange:
    old: PortState
    new: PortState
    reason: str
    master: PortIdentity | None = None
    """The better master heard, when that is the reason."""


@dataclass
class Slave:
    """A clock heard through its Delay_Req messages."""

    identity: PortIdentity
    requests: int = 0
    last_ns: int = 0


@dataclass
class GrandmasterPort:
    settings: PortSettings
    properties: TimeProperties
    now_ns: int
    """Monotonic time the port starts at: listening begins."""
    state: PortState = PortState.LISTENING
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    changes: deque[StateChange] = field(default_factory=deque)
    slaves: OrderedDict[str, Slave] = field(default_factory=OrderedDict)
    foreign: ForeignMasters = field(default_factory=ForeignMasters)
    sequence: dict[MessageType, int] = field(default_factory=dict)
    pending_sync: int | None = None
    next_announce: int = 0
    next_sync: int = 0
    listen_until: int = 0

    def __post_init__(self) -> None:
        self.identity = PortIdentity(self.settings.clock, PORT_NUMBER)
        self.access = AccessRules([], list(self.settings.allow))
        interval = 2.0**self.settings.log_min_delay_req_interval / 2
        self.limiter = ClientTable(interval, DELAY_REQ_BURST, 0, 4096, random.Random())
        self.listen_until = self.now_ns + self.announce_timeout_ns()

    # Timing of what this port sends.
    def announce_interval_ns(self) -> int:
        return int(2.0**self.settings.log_announce_interval * SECOND)

    def sync_interval_ns(self) -> int:
        return int(2.0**self.settings.log_sync_interval * SECOND)

    def announce_timeout_ns(self) -> int:
        return self.settings.announce_receipt_timeout * self.announce_interval_ns()

    def deadline(self) -> int:
        """Monotonic time by which `poll()` must be called next."""
        soon = self.now_ns + SECOND
        if self.state is PortState.MASTER:
            return min(self.next_announce, self.next_sync, soon)
        if self.state is PortState.LISTENING:
            return min(self.listen_until, soon)
        return soon

    def update(self, properties: TimeProperties) -> None:
        self.properties = properties

    def poll(self, now_ns: int) -> list[Send]:
        """Run the state machine and the timers; what is due to be sent."""
        self.now_ns = now_ns
        self._decide(now_ns)
        if self.state is not PortState.MASTER:
            return []
        sends: list[Send] = []
        if now_ns >= self.next_announce:
            self.next_announce = max(self.next_announce + self.announce_interval_ns(), now_ns)
            sends.append(self._announce())
        if now_ns >= self.next_sync:
            self.next_sync = max(self.next_sync + self.sync_interval_ns(), now_ns)
            sends.append(self._sync())
        return sends

    def _decide(self, now_ns: int) -> None:
        best = self.foreign.best(now_ns)
        event: Event | None = None
        if best is not None and better(best, self.candidate()):
            event = Event.BETTER_MASTER
        elif self.state is PortState.PASSIVE:
            event = Event.BEST
        elif self.state is PortState.LISTENING and now_ns >= self.listen_until:
            event = Event.LISTENED
        new = TRANSITIONS.get((self.state, event)) if event is not None else None
        if new is None or event is None:
            return
        master = best.sender if event is Event.BETTER_MASTER and best is not None else None
        self.changes.append(StateChange(self.state, new, event.value, master))
        self.state = new
        if new is PortState.MASTER:
            self.next_announce = self.next_sync = now_ns
            self.pending_sync = None

    def candidate(self) -> Candidate:
        s = self.settings
        quality = self.properties.quality
        return Candidate(s.priority1, quality, s.priority2, s.clock, 0, self.identity)

    # Messages this port sends.
    def _header(self, kind: MessageType, log_interval: int, flags: int = 0) -> Header:
        sequence = self.sequence.get(kind, 0)
        self.sequence[kind] = (sequence + 1) & 0xFFFF
        return Header(kind, self.identity, sequence, self.settings.domain, flags, 0, log_interval)

    def _announce(self) -> Send:
        p, s = self.properties, self.settings
        header = self._header(MessageType.ANNOUNCE, s.log_announce_interval, p.flags)
        message = Announce(
            header, 0, p.utc_offset, s.priority1, p.quality, s.priority2, s.clock, 0,
            p.time_source,
        )  # fmt: skip
        self.counters["announce"] += 1
        return Send(True, encode_message(message))

    def _sync(self) -> Send:
        header = self._header(MessageType.SYNC, self.settings.log_sync_interval, Flag.TWO_STEP)
        self.pending_sync = header.sequence_id
        self.counters["sync"] += 1
        return Send(False, encode_message(Sync(header, 0)), header.sequence_id)

    def to_ptp(self, served_ns: int) -> int:
        """Served UTC as PTP time: TAI, UTC plus the current UTC offset (clause 7.2.3)."""
        return served_ns + self.properties.utc_offset * SECOND

    def transmitted(self, sequence_id: int, served_ns: int) -> list[Send]:
        """The kernel's transmit time of Sync `sequence_id`: its Follow_Up (clause 11.3)."""
        if sequence_id != self.pending_sync or self.state is not PortState.MASTER:
            return []
        self.pending_sync = None
        header = Header(
            MessageType.FOLLOW_UP, self.identity, sequence_id, self.settings.domain, 0, 0,
            self.settings.log_sync_interval,
        )  # fmt: skip
        self.counters["follow_up"] += 1
        return [Send(True, encode_message(FollowUp(header, self.to_ptp(served_ns))))]

    # Messages this port receives.
    def receive(self, data: bytes, address: str, rx_ns: int | None, now_ns: int) -> list[Send]:
        """A datagram from `address` received at `rx_ns` (served UTC; None when the kernel
        gave no timestamp), `now_ns` monotonic. Whatever cannot be used is counted and
        dropped."""
        self.now_ns = now_ns
        self.counters["received"] += 1
        try:
            message = decode_message(data)
        except PtpMessageError as error:
            self._malformed(error)
            return []
        if message.header.domain != self.settings.domain:
            self.counters["other_domain"] += 1
            return []
        if message.header.source.clock == self.settings.clock:
            self.counters["own"] += 1
            return []
        return self._dispatch(message, address, rx_ns)

    def _malformed(self, error: PtpMessageError) -> None:
        self.counters["malformed"] += 1
        self.counters[f"malformed_{error.kind}"] += 1

    def _dispatch(self, message: Message, address: str, rx_ns: int | None) -> list[Send]:
        match message:
            case Announce():
                self.counters["announce_heard"] += 1
                self.foreign.heard(message, self.now_ns)
                return []
            case DelayReq():
                return self._delay_req(message, address, rx_ns)
            case Management():
                return self._management(message, address)
        self.counters["ignored"] += 1
        return []

    def _admitted(self, address: str) -> bool:
        if self.access.decide(address).allow:
            return True
        self.counters["denied"] += 1
        return False

    def _delay_req(self, request: DelayReq, address: str, rx_ns: int | None) -> list[Send]:
        self.counters["delay_req"] += 1
        if self.state is not PortState.MASTER or not self._admitted(address):
            return []
        if rx_ns is None:
            self.counters["no_timestamp"] += 1
            return []
        if not self.limiter.admit(address, self.now_ns):
            self.counters["rate_limited"] += 1
            return []
        self._heard_slave(address, request.header.source, rx_ns)
        header = Header(
            MessageType.DELAY_RESP, self.identity, request.header.sequence_id,
            self.settings.domain, 0, request.header.correction,
            self.settings.log_min_delay_req_interval,
        )  # fmt: skip
        response = DelayResp(header, self.to_ptp(rx_ns), request.header.source)
        self.counters["delay_resp"] += 1
        return [Send(True, encode_message(response))]

    def _heard_slave(self, address: str, identity: PortIdentity, rx_ns: int) -> None:
        slave = self.slaves.pop(address, None) or Slave(identity)
        slave.identity, slave.requests, slave.last_ns = identity, slave.requests + 1, rx_ns
        self.slaves[address] = slave
        while len(self.slaves) > SLAVES_KEPT:
            self.slaves.popitem(last=False)

    def _management(self, request: Management, address: str) -> list[Send]:
        if not addressed_to(request, self.identity) or not self._admitted(address):
            return []
        try:
            response, answered = answer(request, self.identity, self.data_sets())
        except PtpMessageError as error:
            self._malformed(error)
            return []
        self.counters["management" if answered else "management_refused"] += 1
        return [Send(True, encode_message(response))]

    def data_sets(self) -> dict[ManagementId, DataSet]:
        """The data sets as management GET shows them (clause 8.2)."""
        s, p = self.settings, self.properties
        sets: tuple[DataSet, ...] = (
            DefaultDataSet(True, False, 1, s.priority1, p.quality, s.priority2, s.clock, s.domain),
            CurrentDataSet(),
            ParentDataSet(
                PortIdentity(s.clock, 0), False, 0xFFFF, 0x7FFFFFFF, s.priority1, p.quality,
                s.priority2, s.clock,
            ),
            TimePropertiesDataSet(p.utc_offset, p.flags & 0xFF, p.time_source),
            PortDataSet(
                self.identity, self.state, s.log_min_delay_req_interval,
                s.log_announce_interval, s.announce_receipt_timeout, s.log_sync_interval,
            ),
        )  # fmt: skip
        return {data_set.ID: data_set for data_set in sets}
