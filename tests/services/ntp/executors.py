"""The two executors of one NTP Policy for the table in test_executors.py, and what a row
of it says: the setup a request meets, the outcome, the counters, and how each is checked.

The C executor is the fast path on real sockets on 127.0.0.1 and ::1, with what it hands
back answered by the engine as services/ntp/worker.py does; the Python one is Engine.handle.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from firmware.base.access import Decision
from firmware.base.config import SERVICE_NAMES, parse_config
from firmware.timing.leaps import LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import Leap, State, SyncState, make_state
from services.ntp import fast
from services.ntp.control import signed_length, system_variables
from services.ntp.engine import Engine, finish
from services.ntp.keyring import KeyRing
from services.ntp.keys import parse_keys
from services.ntp.packet import SECOND, ns_to_ntp, short_format
from services.ntp.policy import (
    PRECISION,
    TEMPLATE,
    Policy,
    compile_config,
    served_clock,
    with_snapshot,
)
from services.ntp.sockets import SO_TIMESTAMPNS
from tests.services.ntp.captures import CHRONY_KEYS

KEYS = parse_keys(CHRONY_KEYS, "test")  # 1 MD5, 2 SHA1, 3 AES128CMAC
DISPERSION_NS = 250
LOCKED = make_state(State.LOCKED, DISPERSION_NS, Leap.NONE, Leap.NONE, 0.0, 0.0, None, 9)
INSERTING = make_state(State.LOCKED, DISPERSION_NS, Leap.INSERT, Leap.INSERT, 0.0, 0.0, None, 9)
FREERUN = make_state(State.FREERUN, DISPERSION_NS, Leap.NONE, Leap.NONE, 0.0, 0.0, None, 0)
VARIABLES = {"stratum": "1", "refid": "GPS"}
REFERENCE_AGO_NS = SECOND


# -- what a row says ----------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """What a request meets: the [services.ntp] config, how old the snapshot is, the
    sync state, a leap ("none", "near": starts in 10 ms, "held": the inserted second is
    being served, "past": 10 s ago), (source, count, request) requests sent before it, and
    the policy's decision for an address no rule names, where it is not the usual one."""

    ntp: dict[str, Any] = field(default_factory=dict)
    age_ns: int = 0
    sync: SyncState = LOCKED
    leap: str = "none"
    before: tuple[tuple[str, int, bytes], ...] = ()
    fallback: Decision | None = None

    def but(self, **changes: Any) -> Setup:
        return replace(self, **changes)


@dataclass(frozen=True)
class Time:
    """A time reply; `mode` 4, or 2 for NTPv1's symmetric passive answer."""

    leap: int = 0
    version: int = 4
    mode: int = 4
    stratum: int = 1
    refid: bytes = b"GPS\0"
    key: int | None = None


@dataclass(frozen=True)
class Kiss:
    code: bytes
    version: int = 4


@dataclass(frozen=True)
class Control:
    """A mode 6 READVAR answer with this leap and the appliance's variables, signed with
    `key` if given."""

    leap: int = 0
    key: int | None = None


DROPPED = None
Outcome = Time | Kiss | Control | None


@dataclass(frozen=True)
class Row:
    name: str
    request: bytes
    setup: Setup
    outcome: Outcome
    counters: dict[str, int]
    source: str = "127.0.0.2"
    back: bool = False


# -- the two executors ------------------------------------------------------------------


def make_policy(setup: Setup, tmp_path: Path) -> Policy:
    """The policy a worker would compile: config and trusted keys, then a snapshot with the
    setup's sync state, age and leap, on a servo that serves the host clock."""
    section = parse_config({"services": {"ntp": setup.ntp}}, "t", SERVICE_NAMES).services.ntp
    keys = tmp_path / "ntp.keys"
    keys.write_text(CHRONY_KEYS)
    policy = compile_config(section, KeyRing(keys, section.trusted_keys).usable())
    now = time.time_ns()
    leaps = LeapSchedule()
    if setup.leap != "none":
        leaps.schedule(now + {"near": 10_000_000, "held": -SECOND // 5, "past": -10 * SECOND}[
            setup.leap], +1)  # fmt: skip
    clock = served_clock(Servo(now, now, 0.0, 0.0, True), leaps, True, now)
    if setup.fallback is not None:
        policy = replace(policy, access=replace(policy.access, default=setup.fallback))
    published = time.monotonic_ns() - setup.age_ns
    return with_snapshot(policy, setup.sync, now - REFERENCE_AGO_NS, published, clock)


class Executor(Protocol):
    handed_back: int

    def ask(self, data: bytes, source: str) -> list[bytes]: ...

    def counters(self) -> dict[str, int]: ...


def engine_answer(engine: Engine, data: bytes, source: str, host_ns: int) -> list[bytes]:
    """What the worker's Python path sends for a request received at `host_ns`."""
    clock = engine.policy.clock
    assert clock is not None
    reply = engine.handle(data, source, clock.served(host_ns), host_ns)
    return [] if reply is None else finish(reply, clock.served(time.time_ns()))


class PythonExecutor:
    def __init__(self, policy: Policy) -> None:
        self.engine = Engine(policy, lambda: VARIABLES)
        self.engine.update(policy, time.monotonic_ns())
        self.handed_back = 0

    def ask(self, data: bytes, source: str) -> list[bytes]:
        return engine_answer(self.engine, data, source, time.time_ns())

    def counters(self) -> dict[str, int]:
        return dict(self.engine.counters)


class NativeExecutor:
    """The fast path on 127.0.0.1 and ::1; the engine answers what it hands back, over the
    same socket, sharing its client table, as services/ntp/worker.py does."""

    def __init__(self, policy: Policy) -> None:
        self.sockets = []
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            server = socket.socket(family, socket.SOCK_DGRAM)
            server.bind((host, 0))
            server.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            server.setblocking(False)
            self.sockets.append(server)
        self.path = fast.open_fast_path(policy, self.sockets)
        self.engine = Engine(policy, lambda: VARIABLES, self.path)
        self.engine.update(policy, time.monotonic_ns())
        self.handed_back = 0

    def ask(self, data: bytes, source: str) -> list[bytes]:
        family = socket.AF_INET6 if ":" in source else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as client:
            client.bind((source, 0))
            client.sendto(data, self.sockets[family == socket.AF_INET6].getsockname())
            for index, received, peer, host_ns in self.path.serve(1000):
                self.handed_back += 1
                for packet in engine_answer(self.engine, received, peer[0], host_ns):
                    self.sockets[index].sendto(packet, peer)
            client.settimeout(0.005)  # loopback delivers within sendto
            replies = []
            while True:
                try:
                    replies.append(client.recv(2048))
                except TimeoutError:
                    return replies

    def counters(self) -> dict[str, int]:
        counters = dict(self.engine.counters)
        for name, value in self.path.counters().items():
            counters[name] += value
        return counters

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


# -- checking an outcome ----------------------------------------------------------------


def expected_header(outcome: Time, request: bytes, policy: Policy) -> bytes:
    """The first 32 bytes of the time reply: everything but receive and transmit."""
    first = (outcome.leap << 6) | (outcome.version << 3) | outcome.mode
    reference = ns_to_ntp(policy_reference(policy)) if outcome.stratum else 0
    dispersion = short_format(DISPERSION_NS)
    return TEMPLATE.pack(first, outcome.stratum, request[2], PRECISION, 0, dispersion,
                         outcome.refid, reference) + request[40:48]  # fmt: skip


def policy_reference(policy: Policy) -> int:
    clock = policy.clock
    assert clock is not None
    return clock.base_host - REFERENCE_AGO_NS  # the servo serves the host clock


def check_time(
    outcome: Time, reply: bytes, row: Row, policy: Policy, span: tuple[int, int]
) -> None:
    assert reply[:32] == expected_header(outcome, row.request, policy)
    receive, transmit = struct.unpack_from("!QQ", reply, 32)
    assert span[0] <= receive <= transmit <= span[1], "stamped with the served clock"
    if outcome.key is None:
        assert len(reply) == 48
        return
    assert reply[48:] == signed_by(outcome.key, reply[:48])


def check_kiss(outcome: Kiss, reply: bytes, request: bytes) -> None:
    packet = bytearray(52 if outcome.code == b"CRYP" else 48)
    packet[0] = (3 << 6) | (outcome.version << 3) | 4
    packet[2] = request[2]
    packet[12:16] = outcome.code
    packet[24:32] = request[40:48]
    assert reply == bytes(packet), "LI 3, stratum 0, the code, no time"


def check_control(outcome: Control, reply: bytes, request: bytes) -> None:
    first, opcode, sequence, status, association, offset, count = struct.unpack_from(
        "!BBHHHHH", reply
    )
    assert (first, opcode, sequence, association, offset) == (request[0], 0x82, 7, 0, 0)
    assert status >> 14 == outcome.leap
    assert reply[12 : 12 + count] == system_variables(VARIABLES).encode()
    if outcome.key is None:
        assert len(reply) == 12 + count + (-count % 4)
    else:
        end = signed_length(count)
        assert reply[end:] == signed_by(outcome.key, reply[:end])


def signed_by(key_id: int, data: bytes) -> bytes:
    """The key id and MAC that sign `data` with key `key_id`."""
    return struct.pack("!I", key_id) + KEYS[key_id].mac(data)


def check(row: Row, replies: list[bytes], policy: Policy, span: tuple[int, int]) -> None:
    outcome = row.outcome
    if outcome is None:
        assert replies == []
        return
    (reply,) = replies
    if isinstance(outcome, Time):
        check_time(outcome, reply, row, policy, span)
    elif isinstance(outcome, Kiss):
        check_kiss(outcome, reply, row.request)
    else:
        check_control(outcome, reply, row.request)
