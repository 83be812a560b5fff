"""One table of cases, run through both NTP executors of one Policy (h11 style).

Each row is a request, where it comes from, the state it meets (config, snapshot age, sync
state, leap, the requests before it, the policy's decision where no rule matches) and the
outcome: dropped, a time reply (compared byte for byte but for the receive and transmit
timestamps, which must lie within the served clock's readings before and after), or a
kiss-o'-death or mode 6 answer (compared whole); and the counters it moves. A row marked
`back` must be handed back by the C fast path to Python, which answers it: the row checks
both. The executors and the checks are in tests/services/ntp/executors.py.

A new case is one line in ROWS.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from firmware.base.access import Decision
from services.ntp import fast
from services.ntp.control import signed_length
from services.ntp.packet import SECOND, ns_to_ntp
from services.ntp.policy import STALE_NS, Policy
from tests.services.ntp.executors import (
    DROPPED,
    FREERUN,
    INSERTING,
    KEYS,
    Control,
    Executor,
    Kiss,
    NativeExecutor,
    Outcome,
    PythonExecutor,
    Row,
    Setup,
    Time,
    check,
    make_policy,
)

if fast.FastPath is None:
    pytestmark = pytest.mark.skipif(
        os.environ.get("CI") != "true", reason="the fast path extension is not built"
    )

# -- requests ---------------------------------------------------------------------------


def plain(version: int = 4, mode: int = 3, size: int = 48) -> bytes:
    packet = bytearray(max(size, 48))
    packet[0] = (version << 3) | mode
    packet[2] = 6  # poll, echoed
    struct.pack_into("!Q", packet, 40, 0x0123456789ABCDEF)  # origin of the reply
    return bytes(packet[:size])


def signed(key_id: int, data: bytes | None = None, as_key: int | None = None) -> bytes:
    """Signed with key `as_key` (default `key_id`) but naming `key_id`."""
    data = data or plain()
    return data + struct.pack("!I", key_id) + KEYS[as_key or key_id].mac(data)


def tampered(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def readvar(version: int = 2) -> bytes:
    return struct.pack("!BBHHHHH", (version << 3) | 6, 2, 7, 0, 0, 0, 0)


def signed_readvar(key_id: int, as_key: int | None = None) -> bytes:
    """A readvar signed as ntpq signs it: padded to 8 octets, then key id and MAC."""
    data = readvar() + bytes(signed_length(0) - 12)
    return data + struct.pack("!I", key_id) + KEYS[as_key or key_id].mac(data)


FRESH = Setup()
LIMITED = Setup({"ratelimit": {"interval": 60.0, "burst": 3, "leak": 0}})
NO_KOD = LIMITED.but(ntp={**LIMITED.ntp, "rules": [{"network": "127.0.0.0/8", "kod": False}]})
SMALL = Setup({"ratelimit": {"interval": 60.0, "burst": 1, "leak": 0, "clients": 16}})
QUERY = Setup({"rules": [{"network": "127.0.0.0/8", "query": True}]})
QUERY_LIMITED = LIMITED.but(ntp={**LIMITED.ntp, **QUERY.ntp})
QUERY_AUTH = Setup({"rules": [{"network": "127.0.0.0/8", "query": True, "require_auth": True}]})
STALE = Setup(age_ns=STALE_NS + SECOND)
AUTH = Setup({"rules": [{"network": "127.0.0.0/8", "require_auth": True},
                        {"network": "::1/128", "require_auth": True}]})  # fmt: skip
DENY = Setup({"rules": [{"network": "127.0.0.0/8", "action": "deny"},
                        {"network": "::1/128", "action": "deny"}]})  # fmt: skip
V4_ONLY_DENY = Setup({"rules": [{"network": "0.0.0.0/0", "action": "deny"}]})
UNLIMITED = LIMITED.but(ntp={**LIMITED.ntp, "rules": [{"network": "127.0.0.0/8",
                                                       "ratelimit": False}]})  # fmt: skip
ALLOW_LIST = Setup({"allow": ["127.0.0.2/32", "::1/128"]})
DROP_BAD_MAC = Setup({"auth_failure": "drop"})
TRUST_2 = Setup({"trusted_keys": [2]})


DENIED = Decision(allow=False, require_auth=False, query=False, kod=False, ratelimit=False)
AUTH_ONLY = Decision(allow=True, require_auth=True, query=False, kod=True, ratelimit=True)
NO_KOD_RULE = Decision(allow=True, require_auth=False, query=False, kod=False, ratelimit=True)
NOT_LIMITED = Decision(allow=True, require_auth=False, query=False, kod=True, ratelimit=False)
QUERY_RULE = Decision(allow=True, require_auth=False, query=True, kod=True, ratelimit=True)


NO_KOD_FALLBACK = LIMITED.but(fallback=NO_KOD_RULE)
UNLIMITED_FALLBACK = LIMITED.but(fallback=NOT_LIMITED)
QUERY_FALLBACK = FRESH.but(fallback=QUERY_RULE)
LEAP_NEAR = FRESH.but(sync=INSERTING, leap="near")
LEAP_HELD = FRESH.but(sync=INSERTING, leap="held")
OLDER = (("127.0.0.30", 1, plain()),)
"""A client heard from before the row's own source."""


def others(count: int, first: int = 3) -> tuple[tuple[str, int, bytes], ...]:
    """`count` other clients, one request each, from 127.0.0.`first` on."""
    return tuple((f"127.0.0.{first + n}", 1, plain()) for n in range(count))


def row(name: str, request: bytes, setup: Setup, outcome: Outcome, source: str = "127.0.0.2",
        /, *, back: int = False, **counters: int) -> Row:  # fmt: skip
    """One case; `back`: the fast path must hand it to Python; the rest: counters moved."""
    return Row(name, request, setup, outcome, counters, source, bool(back))


SERVED = {"served": 1}
AUTHED = {"served": 1, "authenticated": 1}
STALE_SERVED = {"served": 1, "served_stale": 1}
KOD = {"rate_limited": 1, "kod_sent": 1}
STALE_TIME = Time(leap=3, stratum=0, refid=b"STAL")
RATE = Kiss(b"RATE")
CRYP = Kiss(b"CRYP")
V6 = "::1"


def mine(count: int, request: bytes | None = None) -> tuple[tuple[str, int, bytes], ...]:
    """`count` requests before (plain ones unless said), from the row's own source."""
    return (("127.0.0.2", count, request or plain()),)


BAD_MAC = tampered(signed(2))
KISSED = LIMITED.but(before=mine(4))
"""Over the limit once already: the kiss of this interval is spent."""
NAKED = FRESH.but(before=mine(1, BAD_MAC))
NAK_FLOOD = FRESH.but(before=mine(9, BAD_MAC))
NAKED_LIMITED = LIMITED.but(before=mine(1, BAD_MAC) + mine(2))
OTHER_NAKED = FRESH.but(before=(("127.0.0.3", 1, BAD_MAC),))
QUERY_OVER = QUERY_LIMITED.but(before=mine(3))
MODE6 = {"back": 1, "mode6": 1}


# fmt: off
ROWS = [
    # every mode, NTPv4, 48 bytes
    row("mode 0", plain(mode=0), FRESH, DROPPED, back=True, other_modes=1),
    row("mode 1", plain(mode=1), FRESH, DROPPED, back=True, other_modes=1),
    row("mode 2", plain(mode=2), FRESH, DROPPED, back=True, other_modes=1),
    row("mode 3", plain(), FRESH, Time(), **SERVED),
    row("mode 4", plain(mode=4), FRESH, DROPPED, back=True, other_modes=1),
    row("mode 5", plain(mode=5), FRESH, DROPPED, back=True, other_modes=1),
    row("mode 6 without query", readvar(), FRESH, DROPPED, back=True, mode6=1),
    row("mode 6 readvar with query", readvar(), QUERY, Control(), back=True, mode6=1),
    row("mode 6 48 bytes", plain(mode=6), QUERY, DROPPED, back=True, mode6=1),
    row("mode 6 within limit", readvar(), QUERY_LIMITED.but(before=mine(2)), Control(), **MODE6),
    row("mode 6 over limit", readvar(), QUERY_OVER, DROPPED, rate_limited=1, **MODE6),
    row("mode 6 spends a token", plain(), QUERY_LIMITED.but(before=mine(3, readvar())), RATE,
        **KOD),
    row("mode 6 auth, no MAC", readvar(), QUERY_AUTH, DROPPED, denied=1, **MODE6),
    row("mode 6 auth, bad MAC", signed_readvar(2, as_key=1), QUERY_AUTH, DROPPED, bad_mac=1,
        **MODE6),
    row("mode 6 auth, MAC", signed_readvar(2), QUERY_AUTH, Control(key=2), authenticated=1,
        **MODE6),
    row("mode 6 unknown key", signed_readvar(99, as_key=1), QUERY, DROPPED, bad_mac=1, **MODE6),
    row("mode 6 signed anyway", signed_readvar(1), QUERY, Control(key=1), authenticated=1,
        **MODE6),
    # every version, mode 3
    row("v0", plain(version=0), FRESH, DROPPED, back=True, bad_version=1),
    row("v1 mode 3", plain(version=1), FRESH, Time(version=1), **SERVED),
    row("v1 mode 0 (NTPv1)", plain(1, 0), FRESH, Time(version=1, mode=2), back=True, **SERVED),
    row("v2", plain(version=2), FRESH, Time(version=2), **SERVED),
    row("v3", plain(version=3), FRESH, Time(version=3), **SERVED),
    row("v4", plain(version=4), FRESH, Time(version=4), **SERVED),
    row("v5", plain(version=5), FRESH, DROPPED, back=True, bad_version=1),
    row("v6", plain(version=6), FRESH, DROPPED, back=True, bad_version=1),
    row("v7", plain(version=7), FRESH, DROPPED, back=True, bad_version=1),
    row("v3 with MAC", signed(2, plain(version=3)), FRESH, Time(version=3, key=2), **AUTHED),
    # what follows the header: nothing, a MAC of each size, odd lengths
    row("empty", b"", FRESH, DROPPED, back=True, malformed=1),
    row("47 bytes", plain(size=47), FRESH, DROPPED, back=True, malformed=1),
    row("crypto-NAK trailer (4)", plain() + bytes(4), FRESH, Time(), back=True, **SERVED),
    row("4 bytes, key id 1", plain() + b"\0\0\0\1", FRESH, DROPPED, back=True, malformed=1),
    row("16 bytes", signed(1)[:64], FRESH, DROPPED, back=True, malformed=1),
    row("20 bytes MD5", signed(1), FRESH, Time(key=1), **AUTHED),
    row("20 bytes CMAC", signed(3), FRESH, Time(key=3), **AUTHED),
    row("24 bytes SHA1", signed(2), FRESH, Time(key=2), **AUTHED),
    row("1 odd byte", plain(size=49), FRESH, DROPPED, back=True, malformed=1),
    row("21 bytes", signed(1) + b"\0", FRESH, DROPPED, back=True, malformed=1),
    row("23 bytes", signed(2)[:-1], FRESH, DROPPED, back=True, malformed=1),
    row("28 bytes", signed(2) + bytes(4), FRESH, DROPPED, back=True, malformed=1),
    row("v3, 16 bytes", plain(version=3) + bytes(16), FRESH, DROPPED, back=True, malformed=1),
    # keys
    row("unknown key id", signed(99, as_key=1), FRESH, CRYP, bad_mac=1),
    row("key id 0", signed(0, as_key=1), FRESH, CRYP, bad_mac=1),
    row("key id over 65535", signed(70000, as_key=1), FRESH, CRYP, bad_mac=1),
    row("MD5 wrong digest", tampered(signed(1)), FRESH, CRYP, bad_mac=1),
    row("SHA1 wrong digest", tampered(signed(2)), FRESH, CRYP, bad_mac=1),
    row("CMAC wrong digest", tampered(signed(3)), FRESH, CRYP, bad_mac=1),
    row("MD5 key, SHA1 length", signed(1, signed(1)[:48]) + bytes(4), FRESH, CRYP, bad_mac=1),
    row("CMAC key, SHA1 digest", signed(3, as_key=2), FRESH, CRYP, bad_mac=1),
    row("untrusted key", signed(1), TRUST_2, CRYP, bad_mac=1),
    row("trusted key", signed(2), TRUST_2, Time(key=2), **AUTHED),
    row("bad MAC, drop", tampered(signed(2)), DROP_BAD_MAC, DROPPED, bad_mac=1),
    row("v3 wrong digest", tampered(signed(2, plain(3))), FRESH, Kiss(b"CRYP", 3), bad_mac=1),
    # rules
    row("deny", plain(), DENY, DROPPED, denied=1),
    row("deny, mode 6", readvar(), DENY, DROPPED, denied=1),
    row("deny, NTPv1", plain(1, 0), DENY, DROPPED, denied=1),
    row("deny, IPv6", plain(), DENY, DROPPED, V6, denied=1),
    row("allow (no rule)", plain(), FRESH, Time(), V6, **SERVED),
    row("require_auth, no MAC", plain(), AUTH, DROPPED, denied=1),
    row("require_auth, MAC", signed(1), AUTH, Time(key=1), **AUTHED),
    row("require_auth, bad MAC", tampered(signed(1)), AUTH, CRYP, bad_mac=1),
    row("require_auth, IPv6", plain(), AUTH, DROPPED, V6, denied=1),
    row("require_auth, IPv6 MAC", signed(2), AUTH, Time(key=2), V6, **AUTHED),
    row("require_auth, NTPv1", plain(1, 0), AUTH, DROPPED, back=True, denied=1),
    row("IPv4 rule, IPv6 client", plain(), V4_ONLY_DENY, Time(), V6, **SERVED),
    row("allow-list hit", plain(), ALLOW_LIST, Time(), **SERVED),
    row("allow-list miss", plain(), ALLOW_LIST, DROPPED, "127.0.0.3", denied=1),
    row("allow-list, IPv6 hit", plain(), ALLOW_LIST, Time(), V6, **SERVED),
    row("allow-list miss, mode 6", readvar(), ALLOW_LIST, DROPPED, "127.0.0.3", denied=1),
    # the policy's decision where no rule matches
    row("fallback: deny", plain(), FRESH.but(fallback=DENIED), DROPPED, denied=1),
    row("fallback: require_auth", plain(), FRESH.but(fallback=AUTH_ONLY), DROPPED, denied=1),
    row("fallback: auth, MAC", signed(2), FRESH.but(fallback=AUTH_ONLY), Time(key=2), **AUTHED),
    row("fallback: no kod", plain(), NO_KOD_FALLBACK.but(before=mine(3)), DROPPED, rate_limited=1),
    row("fallback: unlimited", plain(), UNLIMITED_FALLBACK.but(before=mine(3)), Time(), **SERVED),
    row("fallback: query", readvar(), QUERY_FALLBACK, Control(), back=True, mode6=1),
    # rate limit: burst 3, leak off
    row("fresh client", plain(), LIMITED, Time(), **SERVED),
    row("within burst", plain(), LIMITED.but(before=mine(2)), Time(), **SERVED),
    row("over limit, kod", plain(), LIMITED.but(before=mine(3)), RATE, **KOD),
    row("far over limit", plain(), LIMITED.but(before=mine(9)), DROPPED, rate_limited=1),
    # the kiss budget: one kiss (RATE or CRYP) per client per interval
    row("second over limit: no kiss", plain(), KISSED, DROPPED, rate_limited=1),
    row("over limit, no kod: no kiss", plain(), NO_KOD.but(before=mine(4)), DROPPED,
        rate_limited=1),
    row("second bad MAC: no NAK", BAD_MAC, NAKED, DROPPED, bad_mac=1),
    row("bad MAC flood: one NAK", BAD_MAC, NAK_FLOOD, DROPPED, bad_mac=1),
    row("over limit after a NAK", plain(), NAKED_LIMITED, DROPPED, rate_limited=1),
    row("another client's NAK", BAD_MAC, OTHER_NAKED, CRYP, bad_mac=1),
    row("over limit, no kod", plain(), NO_KOD.but(before=mine(3)), DROPPED, rate_limited=1),
    row("over limit, signed", signed(2), LIMITED.but(before=mine(3)), RATE, **KOD),
    row("over limit, bad MAC", tampered(signed(2)), LIMITED.but(before=mine(3)), RATE, **KOD),
    row("ratelimit off", plain(), UNLIMITED.but(before=mine(9)), Time(), **SERVED),
    row("others' requests", plain(), LIMITED.but(before=others(5)), Time(), **SERVED),
    row("over limit, IPv6", plain(), LIMITED.but(before=((V6, 3, plain()),)), RATE, V6, **KOD),
    row("one bucket: NTPv1", plain(1, 0), LIMITED.but(before=mine(3)), Kiss(b"RATE", 1),
        back=True, **KOD),
    # the client table at its capacity (16), burst 1: the oldest is forgotten
    row("remembered", plain(), SMALL.but(before=mine(1) + others(15)), RATE, **KOD),
    row("forgotten: fresh", plain(), SMALL.but(before=mine(1) + others(16)), Time(), **SERVED),
    row("newer one kept", plain(), SMALL.but(before=OLDER + mine(1) + others(15)), RATE, **KOD),
    row("oldest forgotten", plain(), SMALL.but(before=mine(1) + OLDER + others(15)), Time(),
        **SERVED),
    # the snapshot's age and the sync state
    row("stale", plain(), STALE, STALE_TIME, **STALE_SERVED),
    row("stale, signed", signed(3), STALE, replace(STALE_TIME, key=3), **AUTHED, served_stale=1),
    row("stale, NTPv1", plain(1, 0), STALE, replace(STALE_TIME, version=1, mode=2), back=True,
        **STALE_SERVED),
    row("stale, mode 6", readvar(), QUERY.but(age_ns=STALE.age_ns), Control(leap=3), back=True,
        mode6=1),
    row("unsynchronised", plain(), FRESH.but(sync=FREERUN), Time(3, stratum=0, refid=b"INIT"),
        **SERVED),
    row("leap announced", plain(), FRESH.but(sync=INSERTING), Time(leap=1), **SERVED),
    # a leap near or being applied: C hands the request to Python
    row("leap near", plain(), LEAP_NEAR, Time(leap=1), back=True, **SERVED),
    row("leap held", plain(), LEAP_HELD, Time(leap=1), back=True, **SERVED),
    row("leap held, signed", signed(1), LEAP_HELD, Time(leap=1, key=1), back=True, **AUTHED),
    row("leap held, over limit", plain(), LIMITED.but(leap="held", before=mine(3)), RATE,
        back=True, **KOD),
    row("leap held, bad MAC", tampered(signed(2)), LEAP_HELD, CRYP, back=True, bad_mac=1),
    row("leap held, denied", plain(), DENY.but(leap="held"), DROPPED, denied=1),
    row("leap held, stale", plain(), STALE.but(leap="held"), STALE_TIME, back=True,
        **STALE_SERVED),
    row("leap past", plain(), FRESH.but(leap="past"), Time(), **SERVED),
]
# fmt: on


@pytest.fixture(params=["C", "Python"])
def executor_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(executor_kind: str) -> Iterator[Callable[[Policy], Executor]]:
    """Starts the executor of this run for a policy; closes its sockets after the test."""
    made: list[NativeExecutor] = []

    def start(policy: Policy) -> Executor:
        if executor_kind == "Python":
            return PythonExecutor(policy)
        made.append(NativeExecutor(policy))
        return made[-1]

    yield start
    for executor in made:
        executor.close()


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_row(
    row: Row, run: Callable[[Policy], Executor], executor_kind: str, tmp_path: Path
) -> None:
    policy = make_policy(row.setup, tmp_path)
    executor = run(policy)
    for source, count, before in row.setup.before:
        for _ in range(count):
            executor.ask(before, source)
    counters, handed_back = executor.counters(), executor.handed_back
    clock = policy.clock
    assert clock is not None
    before = clock.served(time.time_ns())
    replies = executor.ask(row.request, row.source)
    span = ns_to_ntp(before), ns_to_ntp(clock.served(time.time_ns()))
    check(row, replies, policy, span)
    moved = {name: value - counters[name] for name, value in executor.counters().items()}
    # The modes on the wire: every mode 3 request counts, and every mode 4 packet sent.
    by_mode = {"client_requests": int(row.request[:1] != b"" and row.request[0] & 7 == 3),
               "server_replies": sum(reply[0] & 7 == 4 for reply in replies)}  # fmt: skip
    expected = {**row.counters, **{name: value for name, value in by_mode.items() if value}}
    assert {name: value for name, value in moved.items() if value} == expected
    if executor_kind == "C":
        assert executor.handed_back - handed_back == int(row.back), "C hands it to Python"
