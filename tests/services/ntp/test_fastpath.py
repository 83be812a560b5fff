"""The native fast path (services/ntp/_fastpath.c) on real loopback sockets, checked
against the Python engine and the `cryptography` MACs: what it answers must be exactly what
services/ntp/engine.py would answer, and what it does not answer goes back to Python."""

from __future__ import annotations

import os
import random
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.base.config import SERVICE_NAMES, parse_config
from firmware.base.config.schema import NtpSection
from firmware.base.ratelimit import ClientTable
from firmware.timing.leaps import SECOND, LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import Leap, State, make_state
from services.ntp import fast
from services.ntp.engine import STALE_NS, Engine
from services.ntp.keyring import KeyRing
from services.ntp.keys import parse_keys
from services.ntp.packet import ns_to_ntp
from tests.services.ntp.captures import CHRONY_KEYS, CHRONY_PLAIN
from tests.services.ntp.ntp_codec import decode_packet

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
KEYS = parse_keys(CHRONY_KEYS, "test")  # 1 MD5, 2 SHA1, 3 AES128CMAC

if fast.FastPath is None:
    pytestmark = pytest.mark.skipif(
        os.environ.get("CI") != "true", reason="the fast path extension is not built"
    )


@dataclass
class Bench:
    server: socket.socket
    path: fast.FastPath
    engine: Engine
    port: int

    def ask(self, data: bytes, source: str = "127.0.0.1") -> tuple[list[bytes], list[object]]:
        """Send one request; what came back, and what the fast path left to Python."""
        family = socket.AF_INET6 if ":" in source else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as client:
            client.bind((source, 0))
            client.settimeout(0.005)  # loopback delivers within sendto
            target = "::1" if family == socket.AF_INET6 else "127.0.0.1"
            client.sendto(data, (target, self.port))
            rest = self.path.serve(1000)
            replies = []
            try:
                replies.append(client.recv(2048))
            except TimeoutError:
                pass
        return replies, list(rest)


def make_bench(
    tmp_path: Path, ntp: dict[str, object], family: int = socket.AF_INET, age_ns: int = 0
) -> Bench:
    """A fast path and an engine set up alike, from a snapshot published `age_ns` ago."""
    keys = tmp_path / "ntp.keys"
    keys.write_text(CHRONY_KEYS)
    section: NtpSection = parse_config({"services": {"ntp": ntp}}, "t", SERVICE_NAMES).services.ntp
    server = socket.socket(family, socket.SOCK_DGRAM)
    server.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    server.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    server.setblocking(False)
    path = fast.open_fast_path(section, [server])
    ring = KeyRing(keys, section.trusted_keys)
    path.set_keys(fast.key_settings(ring.usable()))
    limit = section.ratelimit
    table = ClientTable(limit.interval, limit.burst, limit.leak, limit.clients, random.Random(1))
    engine = Engine(section, ring.lookup, dict, table)
    now = time.time_ns()
    state = make_state(State.LOCKED, 250, Leap.NONE, Leap.NONE, 0.0, 0.0, now, 9)
    engine.update(state, now, age_ns)
    path.set_template(*fast.template_settings(engine, time.monotonic_ns() - age_ns))
    servo = Servo(now, now, 0.0, 0.0, True)
    path.set_clock(*fast.clock_settings(servo, LeapSchedule(), True, now))
    return Bench(server, path, engine, server.getsockname()[1])


UNLIMITED = {"rules": [{"network": "127.0.0.0/8", "ratelimit": False}]}
# How old the snapshot is: LI, stratum on the wire, refid, whether counted as a stale answer.
SNAPSHOTS = {
    "fresh": (0, (0, 1, b"GPS\0", 0)),
    "stale": (STALE_NS + SECOND, (3, 0, b"STAL", 1)),
}


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    made = make_bench(tmp_path, UNLIMITED)
    yield made
    made.server.close()


@pytest.fixture(params=list(SNAPSHOTS))
def snapshot(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Bench, tuple[int, int, bytes, int]]]:
    """Both executors given the same snapshot, fresh or stale, as the worker gives it."""
    age, expected = SNAPSHOTS[request.param]
    made = make_bench(tmp_path, UNLIMITED, age_ns=age)
    yield made, expected
    made.server.close()


def request(version: int = 4, mode: int = 3, stamp: int = 0x1234) -> bytes:
    packet = bytearray(48)
    packet[0] = (version << 3) | mode
    packet[2] = 6
    struct.pack_into("!Q", packet, 40, stamp)
    return bytes(packet)


def signed(key_id: int, data: bytes | None = None) -> bytes:
    data = data or request()
    return data + struct.pack("!I", key_id) + KEYS[key_id].mac(data)


def test_plain_request_is_answered_as_the_engine_would(
    snapshot: tuple[Bench, tuple[int, int, bytes, int]],
) -> None:
    bench, (leap, stratum, refid, stale) = snapshot
    before = time.time_ns()
    (reply,), rest = bench.ask(CHRONY_PLAIN)
    assert rest == []
    expected = bench.engine.handle(CHRONY_PLAIN, "127.0.0.1", before)
    assert expected is not None and expected.header is not None
    assert reply[:32] == bytes(expected.header[:32])  # all but receive and transmit
    decoded = decode_packet(reply)
    assert (decoded.mode, decoded.leap, decoded.stratum, decoded.refid) == (4, leap, stratum, refid)
    assert ns_to_ntp(before) <= decoded.receive <= decoded.transmit <= ns_to_ntp(time.time_ns())
    counters = bench.path.counters()
    assert (counters["served"], counters["served_stale"]) == (1, stale)
    assert bench.engine.counters["served_stale"] == stale


def test_fast_path_goes_stale_by_its_own_clock(bench: Bench) -> None:
    """Python's last refresh said fresh, but nothing came since: the C path must not keep
    serving that template past the snapshot's age limit on its own."""
    bench.path.set_template(*fast.template_settings(bench.engine, time.monotonic_ns() - STALE_NS))
    (reply,), _ = bench.ask(CHRONY_PLAIN)
    decoded = decode_packet(reply)
    assert (decoded.leap, decoded.stratum, decoded.refid) == (3, 0, b"STAL")
    assert decoded.reference == 0 and bench.path.counters()["served_stale"] == 1


@pytest.mark.parametrize("key_id", [1, 2, 3])
def test_signed_request_gets_a_reply_signed_with_the_same_key(bench: Bench, key_id: int) -> None:
    (reply,), _ = bench.ask(signed(key_id))
    key = KEYS[key_id]
    assert struct.unpack_from("!I", reply, 48)[0] == key_id
    assert reply[52:] == key.mac(reply[:48]), "MAC as the cryptography library computes it"
    counters = bench.path.counters()
    assert (counters["served"], counters["authenticated"]) == (1, 1)


@pytest.mark.parametrize("case", ["wrong digest", "unknown key", "SHA1 length for MD5"])
def test_bad_mac_gets_a_crypto_nak_without_time(bench: Bench, case: str) -> None:
    data = {
        "wrong digest": signed(1)[:-1] + b"\0",
        "unknown key": signed(1)[:48] + struct.pack("!I", 99) + signed(1)[52:],
        "SHA1 length for MD5": signed(1) + b"\0" * 4,
    }[case]
    (reply,), _ = bench.ask(data)
    assert len(reply) == 52 and reply[12:16] == b"CRYP" and reply[32:48] == bytes(16)
    assert bench.path.counters()["bad_mac"] == 1


def test_untrusted_key_and_silent_auth_failures(tmp_path: Path) -> None:
    made = make_bench(tmp_path, {"trusted_keys": [2], "auth_failure": "drop"})
    assert made.ask(signed(1)) == ([], [])
    assert made.ask(signed(2))[0]
    assert made.path.counters()["bad_mac"] == 1


def test_rules_deny_and_require_auth(tmp_path: Path) -> None:
    made = make_bench(tmp_path, {"rules": [
        {"network": "127.0.0.2/32", "action": "deny"},
        {"network": "127.0.0.3/32", "require_auth": True},
    ]})  # fmt: skip
    assert made.ask(request(), "127.0.0.2") == ([], [])
    assert made.ask(request(mode=6), "127.0.0.2") == ([], []), "denied before any mode"
    assert made.ask(request(), "127.0.0.3") == ([], [])
    assert made.ask(signed(3), "127.0.0.3")[0]
    assert made.ask(request(), "127.0.0.4")[0]
    counters = made.path.counters()
    assert (counters["denied"], counters["served"]) == (3, 2)


def test_service_allow_list_comes_first(tmp_path: Path) -> None:
    made = make_bench(tmp_path, {"allow": ["127.0.0.5/32"]})
    assert made.ask(request(), "127.0.0.6") == ([], [])
    assert made.ask(request(), "127.0.0.5")[0]


def test_flood_gets_kod_rate_then_silence_without_kod(tmp_path: Path) -> None:
    made = make_bench(tmp_path, {
        "ratelimit": {"burst": 3, "leak": 0},
        "rules": [{"network": "127.0.0.7/32", "kod": False},
                  {"network": "127.0.0.8/32", "ratelimit": False}],
    })  # fmt: skip
    answers = [made.ask(request(), "127.0.0.1")[0] for _ in range(5)]
    assert [a[0][12:16] for a in answers] == [b"GPS\0"] * 3 + [b"RATE"] * 2
    assert all(len(a[0]) == 48 and a[0][32:48] == bytes(16) for a in answers[3:])
    assert [bool(made.ask(request(), "127.0.0.7")[0]) for _ in range(5)] == [True] * 3 + [False] * 2
    assert all(made.ask(request(), "127.0.0.8")[0] for _ in range(10))
    counters = made.path.counters()
    assert (counters["rate_limited"], counters["kod_sent"]) == (4, 2)


def test_python_and_c_share_one_bucket_and_one_client_list(tmp_path: Path) -> None:
    made = make_bench(tmp_path, {"ratelimit": {"burst": 2, "leak": 0}})
    now = time.time_ns()
    assert made.path.admit("127.0.0.9", now, True)  # a request that Python answered
    assert made.ask(request(), "127.0.0.9")[0][0][12:16] == b"GPS\0"
    assert made.ask(request(), "127.0.0.9")[0][0][12:16] == b"RATE"
    assert not made.path.admit("127.0.0.9", now, True)
    made.ask(request(), "127.0.0.10")
    recent = made.path.recent(2)
    assert [(address, count) for address, count, _ in recent] == [
        ("127.0.0.10", 1), ("127.0.0.9", 4),
    ]  # fmt: skip
    assert abs(recent[0][2] - time.time_ns()) < SECOND


@pytest.mark.parametrize(
    "data",
    [
        request(mode=6), request(mode=7), request(mode=4), request(version=1, mode=0),
        request(version=5), request(version=0), request() + b"\0", request()[:47],
        request() + bytes(28),  # an extension field-sized tail: Python decodes it
    ],
    ids=["mode6", "mode7", "mode4", "ntpv1", "v5", "v0", "49 bytes", "47 bytes", "76 bytes"],
)  # fmt: skip
def test_everything_else_goes_to_python_unanswered(bench: Bench, data: bytes) -> None:
    before = time.time_ns()
    replies, rest = bench.ask(data)
    assert replies == []
    ((index, received, peer, host_ns),) = rest  # type: ignore[misc]
    assert (index, received, peer[0]) == (0, data, "127.0.0.1")
    assert before <= host_ns <= time.time_ns(), "the kernel's receive time comes along"
    assert bench.path.recent(1) == [], "nothing recorded: Python's engine does that"


def test_ipv6_requests_and_peers(tmp_path: Path) -> None:
    made = make_bench(tmp_path, {"rules": [{"network": "::1/128", "require_auth": True}]},
                      socket.AF_INET6)  # fmt: skip
    assert made.ask(request(), "::1") == ([], [])
    assert made.ask(signed(2), "::1")[0]
    ((_, _, peer, _),) = made.ask(request(mode=6), "::1")[1]  # type: ignore[misc]
    assert peer[0] == "::1" and len(peer) == 4
    assert made.path.recent(1)[0][:2] == ("::1", 2)
    made.server.close()


def test_leap_near_goes_to_python_and_a_past_leap_is_applied(bench: Bench) -> None:
    now = time.time_ns()
    servo = Servo(now, now, 0.0, 0.0, True)
    leaps = LeapSchedule()
    leaps.schedule(now + 5_000_000, +1)  # the held second starts in 5 ms
    bench.path.set_clock(*fast.clock_settings(servo, leaps, True, now))
    assert bench.ask(request())[1], "Python applies the leap"
    past = LeapSchedule()
    past.schedule(now - 10 * SECOND, +1)
    bench.path.set_clock(*fast.clock_settings(servo, past, True, now))
    (reply,), _ = bench.ask(request())
    served = decode_packet(reply).receive
    assert abs(served - ns_to_ntp(time.time_ns() - SECOND)) < 2**32 // 100, "one second back"


HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@HYPOTHESIS
@given(data=st.binary(min_size=0, max_size=200))
def test_random_packets_never_raise_nor_amplify(bench: Bench, data: bytes) -> None:
    replies, rest = bench.ask(data)
    assert all(len(reply) <= len(data) for reply in replies)
    assert len(replies) + len(rest) <= 1


@HYPOTHESIS
@given(head=st.binary(min_size=48, max_size=48), key_id=st.sampled_from([0, 1, 2, 3]))
def test_mode_3_answers_match_the_engine(
    snapshot: tuple[Bench, tuple[int, int, bytes, int]], head: bytes, key_id: int
) -> None:
    bench = snapshot[0]
    data = bytes([(head[0] & 0xF8) | 3]) + head[1:]
    if key_id:
        data = signed(key_id, data)
    replies, rest = bench.ask(data)
    version = (data[0] >> 3) & 7
    if not 1 <= version <= 4:
        assert replies == [] and len(rest) == 1
        return
    (reply,) = replies
    expected = bench.engine.handle(data, "127.0.0.2", time.time_ns())
    assert expected is not None and expected.header is not None
    assert reply[:32] == bytes(expected.header[:32])
    if key_id:
        assert reply[52:] == KEYS[key_id].mac(reply[:48])


@HYPOTHESIS
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["127.0.0.1", "127.0.0.2", "::1", "2001:db8::1", "192.0.2.9"]),
            st.integers(0, 3 * SECOND),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_client_table_matches_the_python_one(
    tmp_path: Path, steps: list[tuple[str, int, bool]]
) -> None:
    """Same buckets, same verdicts, same eviction (three clients kept), same recent list."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        path = fast.FastPath([unused.fileno()], [], [], SECOND, 2, -1, 3, False, os.urandom(16))
    table = ClientTable(1.0, 2, 0, 3, random.Random(1))
    now = 1_800_000_000 * SECOND
    for address, delta, limited in steps:
        now += delta
        assert path.admit(address, now, limited) == table.admit(address, now, limited)
    assert path.recent(5) == table.recent(5)


def test_datagram_longer_than_the_buffer_is_dropped_not_handed_on(bench: Bench) -> None:
    """Its first 2048 bytes, all that is read, are a request Python would answer."""
    head = request() + struct.pack("!HH", 0x0104, 2000) + bytes(1996)
    assert bench.ask(head)[1], "the first 2048 bytes alone go to Python"
    assert bench.ask(head + bytes(2048)) == ([], [])
    assert bench.path.counters()["malformed"] == 1


def udp_from_port_zero(payload: bytes, port: int) -> None:
    """A datagram from 127.0.0.1 port 0, which no reply can be sent to (a raw socket)."""
    header = struct.pack("!HHHH", 0, port, 8 + len(payload), 0)  # no checksum: allowed on IPv4
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP) as raw:
        raw.sendto(header + payload, ("127.0.0.1", 0))


@pytest.mark.skipif(os.geteuid() != 0, reason="a raw socket needs root")
@pytest.mark.parametrize("key_id", [0, 1])
def test_served_counts_replies_sent_not_replies_meant(bench: Bench, key_id: int) -> None:
    udp_from_port_zero(signed(key_id) if key_id else request(), bench.port)
    assert bench.path.serve(1000) == []
    counters = bench.path.counters()
    assert (counters["served"], counters["authenticated"]) == (0, 1 if key_id else 0)
    assert bench.ask(request())[0] and bench.path.counters()["served"] == 1
