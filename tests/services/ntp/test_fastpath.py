"""The native fast path (services/ntp/_fastpath.c) on real loopback sockets, checked
against the Python engine and the `cryptography` MACs: what it answers must be exactly what
services/ntp/engine.py would answer, and what it does not answer goes back to Python."""

from __future__ import annotations

import os
import random
import socket
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.base.access import RuleSet
from firmware.base.config import SERVICE_NAMES, parse_config
from firmware.base.config.schema import NtpSection
from firmware.base.ratelimit import ClientTable
from firmware.timing.leaps import SECOND, LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import Leap, State, make_state
from services.ntp import fast
from services.ntp.engine import Engine
from services.ntp.keyring import KeyRing
from services.ntp.keys import parse_keys
from services.ntp.packet import ns_to_ntp
from services.ntp.policy import (
    STALE_NS,
    Limits,
    Policy,
    compile_config,
    served_clock,
    with_keys,
    with_snapshot,
)
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
    policy: Policy

    def use_in_c(self, policy: Policy) -> None:
        self.path.set_policy(fast.native(policy))

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
    ring = KeyRing(keys, section.trusted_keys)
    policy = compile_config(section, ring.usable())
    path = fast.open_fast_path(policy, [server])
    limit = section.ratelimit
    table = ClientTable(limit.interval, limit.burst, limit.leak, limit.clients, random.Random(1))
    engine = Engine(policy, dict, table)
    now = time.time_ns()
    state = make_state(State.LOCKED, 250, Leap.NONE, Leap.NONE, 0.0, 0.0, now, 9)
    clock = served_clock(Servo(now, now, 0.0, 0.0, True), LeapSchedule(), True, now)
    policy = with_snapshot(policy, state, now, time.monotonic_ns() - age_ns, clock)
    engine.update(policy, time.monotonic_ns())
    path.set_policy(fast.native(policy))
    return Bench(server, path, engine, server.getsockname()[1], policy)


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
    expected = bench.engine.handle(CHRONY_PLAIN, "127.0.0.1", before, before)
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
    template = replace(bench.policy.template, fresh_until_ns=time.monotonic_ns())
    bench.use_in_c(replace(bench.policy, template=template))
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


def test_flood_gets_one_kod_rate_then_silence(tmp_path: Path) -> None:
    made = make_bench(tmp_path, {
        "ratelimit": {"burst": 3, "leak": 0, "interval": 60},
        "rules": [{"network": "127.0.0.7/32", "kod": False},
                  {"network": "127.0.0.8/32", "ratelimit": False}],
    })  # fmt: skip
    answers = [made.ask(request(), "127.0.0.1")[0] for _ in range(6)]
    assert [a[0][12:16] if a else None for a in answers] == [b"GPS\0"] * 3 + [b"RATE", None, None]
    assert len(answers[3][0]) == 48 and answers[3][0][32:48] == bytes(16)
    assert [bool(made.ask(request(), "127.0.0.7")[0]) for _ in range(5)] == [True] * 3 + [False] * 2
    assert all(made.ask(request(), "127.0.0.8")[0] for _ in range(10))
    counters = made.path.counters()
    assert (counters["rate_limited"], counters["kod_sent"]) == (5, 1)


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


def test_a_new_policy_swaps_keys_and_a_bad_one_changes_nothing(bench: Bench) -> None:
    rotated = with_keys(bench.policy, [KEYS[2]])
    bench.use_in_c(rotated)
    assert bench.ask(signed(1))[0][0][12:16] == b"CRYP", "key 1 is gone"
    assert bench.ask(signed(2))[0][0][12:16] == b"GPS\0"
    deny_all = RuleSet((), (), replace(bench.policy.access.default, allow=False))
    packed = fast.native(replace(rotated, access=deny_all))
    for broken in (
        (packed[0], ((1, "MD4", b"secret"),), *packed[2:]),  # a key it cannot use
        (*packed[:6], (b"short", 0, bytes(24), 0), packed[7]),  # a template not 24 bytes
        (*packed[:7], (1, 2)),  # a clock that is no clock
    ):
        with pytest.raises((ValueError, TypeError)):
            bench.path.set_policy(broken)
        assert bench.ask(signed(2))[0][0][12:16] == b"GPS\0", "all of it or none of it"
        bad_macs = bench.path.counters()["bad_mac"]
        bench.ask(signed(1))  # no reply: this interval's crypto-NAK went above
        assert bench.path.counters()["bad_mac"] == bad_macs + 1, "key 1 still gone"
    bench.path.set_policy(packed)
    assert bench.ask(signed(2)) == ([], [])
    assert bench.path.counters()["denied"] == 1


def test_leap_near_goes_to_python_and_a_past_leap_is_applied(bench: Bench) -> None:
    now = time.time_ns()
    servo = Servo(now, now, 0.0, 0.0, True)
    leaps = LeapSchedule()
    leaps.schedule(now + 5_000_000, +1)  # the held second starts in 5 ms
    bench.use_in_c(replace(bench.policy, clock=served_clock(servo, leaps, True, now)))
    assert bench.ask(request())[1], "Python applies the leap"
    past = LeapSchedule()
    past.schedule(now - 10 * SECOND, +1)
    bench.use_in_c(replace(bench.policy, clock=served_clock(servo, past, True, now)))
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
    now = time.time_ns()
    expected = bench.engine.handle(data, "127.0.0.2", now, now)
    assert expected is not None and expected.header is not None
    assert reply[:32] == bytes(expected.header[:32])
    if key_id:
        assert reply[52:] == KEYS[key_id].mac(reply[:48])


@HYPOTHESIS
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["127.0.0.1", "127.0.0.2", "::1", "2001:db8::1", "192.0.2.9"]),
            st.integers(-2 * SECOND, 3 * SECOND),
            st.booleans(),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_client_table_matches_the_python_one(steps: list[tuple[str, int, bool, bool]]) -> None:
    """Same buckets, same verdicts, same kisses, same eviction (three clients kept), same
    recent list, with host time that also steps back."""
    path = table_path(3)
    table = ClientTable(1.0, 2, 0, 3, random.Random(1))
    now = 1_800_000_000 * SECOND
    for address, delta, limited, kiss in steps:
        now += delta
        assert path.admit(address, now, limited) == table.admit(address, now, limited)
        if kiss:
            assert path.kiss(address) == table.kiss(address)
    assert path.recent(5) == table.recent(5)
    assert not path.kiss("198.51.100.1") and not table.kiss("198.51.100.1"), "never seen"


# SipHash-2-4 with key 00..0f over the message 00 01 .. (n-1): vectors.h of the reference
# implementation (github.com/veorq/SipHash), the 8 output bytes in the order it lists them.
SIPHASH_VECTORS = [
    "310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785",
    "b7877127e09427cf", "8da699cd64557618", "cee3fe586e46c9cb", "37d1018bf50002ab",
    "6224939a79f5f593", "b0e4a90bdf82009e", "f3b9dd94c5bb5d7a", "a7ad6b22462fb3f4",
    "fbe50e86bc8f1e75", "903d84c02756ea14", "eef27a8e90ca23f7", "e545be4961ca29a1",
    "db9bc2577fcc2a3f",
]  # fmt: skip


def test_the_client_table_hash_is_siphash_2_4() -> None:
    from services.ntp._fastpath import siphash

    key = bytes(range(16))
    for length, expected in enumerate(SIPHASH_VECTORS):
        assert siphash(key, bytes(range(length))).to_bytes(8, "little").hex() == expected
    with pytest.raises(ValueError, match="16 bytes"):
        siphash(bytes(8), b"")


def table_path(clients: int) -> fast.FastPath:
    """A fast path used for its client table only: 1 s per request, bursts of 2, no leak."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        return fast.open_fast_path(
            Policy(RuleSet((), ()), Limits(1.0, 2, 0, clients), False), [unused]
        )


NETWORKS: dict[str, Callable[[int], str]] = {
    "one IPv4 /16": lambda n: f"10.1.{n >> 8}.{n & 255}",
    "one IPv6 /64, low bits": lambda n: f"2001:db8:0:1::{n:x}",
    "one IPv6 /64, high bits": lambda n: f"2001:db8:0:1:{n:x}::",
}


@pytest.mark.parametrize("network", list(NETWORKS))
def test_a_whole_network_spreads_over_the_client_table(network: str) -> None:
    """Every address of one network in a table sized for them: the chains stay short, so a
    lookup costs the same as with clients from everywhere."""
    address = NETWORKS[network]
    path = table_path(65536)
    now = 1_800_000_000 * SECOND
    for n in range(65536):
        path.admit(address(n), now, True)
    stats = path.table_stats()
    assert (stats["clients"], stats["capacity"], stats["buckets"]) == (65536, 65536, 131072)
    assert stats["longest_chain"] <= 12, stats  # about 8 for a random hash at this load


def test_served_time_stepping_back_leaves_an_in_limit_client_answered(tmp_path: Path) -> None:
    """The servo steps served time back an hour: the rate limit, on host time, sees nothing."""
    made = make_bench(tmp_path, {"ratelimit": {"burst": 3, "leak": 0}})
    assert [made.ask(request())[0][0][12:16] for _ in range(2)] == [b"GPS\0"] * 2
    now = time.time_ns()
    stepped = Servo(now, now - 3600 * SECOND, 0.0, 0.0, True)
    made.use_in_c(replace(made.policy, clock=served_clock(stepped, LeapSchedule(), True, now)))
    (reply,), _ = made.ask(request())
    decoded = decode_packet(reply)
    assert decoded.refid == b"GPS\0", "answered, not kissed"
    assert abs(decoded.receive - ns_to_ntp(now - 3600 * SECOND)) < 2**32, "served an hour back"
    assert made.path.counters()["rate_limited"] == 0


@pytest.mark.parametrize("limited", [True, False])
def test_host_time_stepping_back_refills_nothing_and_costs_nothing(limited: bool) -> None:
    """Both tables: a host clock stepped back an hour neither puts a client over the limit
    nor hands it a fresh burst."""
    hour = 3600 * SECOND
    now = 1_800_000_000 * SECOND
    table = ClientTable(1.0, 2, 0, 10, random.Random(1))
    path = table_path(10)
    for clients in (table, path):
        verdicts = [clients.admit("192.0.2.1", when, limited) for when in (now, now - hour)]
        verdicts.append(clients.admit("192.0.2.1", now - hour, limited))
        verdicts.append(clients.admit("192.0.2.1", now - hour + SECOND, limited))
        assert verdicts == ([1, 1, 0, 1] if limited else [1, 1, 1, 1])


def test_datagram_longer_than_the_buffer_is_dropped_not_handed_on(bench: Bench) -> None:
    """Its first 2048 bytes, all that is read, are a request Python would answer."""
    head = request() + struct.pack("!HH", 0x0104, 2000) + bytes(1996)
    assert bench.ask(head)[1], "the first 2048 bytes alone go to Python"
    assert bench.ask(head + bytes(2048)) == ([], [])
    counters = bench.path.counters()
    assert (counters["malformed"], counters["client_requests"]) == (1, 1), "a mode 3 packet"


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
