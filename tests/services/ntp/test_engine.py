"""The engine's decisions, with `now` passed in: replies, authentication, rules, limits."""

import itertools
import random
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.base.config import SERVICE_NAMES, parse_config
from firmware.base.ratelimit import ClientTable
from firmware.timing.leaps import LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import Leap, State, SyncState, make_state
from services.ntp.control import milliseconds
from services.ntp.engine import Engine, finish
from services.ntp.keyring import KeyRing
from services.ntp.packet import SECOND, ntp_to_ns
from services.ntp.policy import STALE_NS, compile_config, served_clock, with_snapshot
from tests.services.ntp.captures import (
    CHRONY_AES,
    CHRONY_KEYS,
    CHRONY_MD5,
    CHRONY_PLAIN,
    CHRONY_SHA1,
    NTPLIB_V3,
)
from tests.services.ntp.ntp_codec import decode_packet

NOW = 1_800_000_000 * 10**9
HOST = 1_799_999_000 * 10**9  # the host clock, which the rate limit counts with
LOCKED = make_state(State.LOCKED, 250, Leap.NONE, Leap.NONE, 0.0, 0.0, NOW, 9)


def engine(tmp_path: Path, ntp: dict[str, object] | None = None, state=LOCKED) -> Engine:  # type: ignore[no-untyped-def]
    keys = tmp_path / "ntp.keys"
    keys.write_text(CHRONY_KEYS)
    config = parse_config({"services": {"ntp": ntp or {}}}, "test", SERVICE_NAMES)
    section = config.services.ntp
    ring = KeyRing(keys, section.trusted_keys)
    limit = section.ratelimit
    table = ClientTable(limit.interval, limit.burst, limit.leak, limit.clients, random.Random(1))
    policy = compile_config(section, ring.usable())
    made = Engine(policy, lambda: {"stratum": "1", "refid": "GPS"}, table)
    update(made, state, 0)
    return made


def update(made: Engine, state: SyncState, age_ns: int) -> None:
    """A snapshot with `state`, published `age_ns` before now (CLOCK_MONOTONIC 0 here)."""
    clock = served_clock(Servo(), LeapSchedule(), True, NOW)
    made.update(with_snapshot(made.policy, state, NOW - 10**9, -age_ns, clock), 0)


def ask(
    made: Engine, data: bytes, address: str = "192.0.2.1", served: int = NOW, host: int = HOST
) -> list[bytes]:
    reply = made.handle(data, address, served, host)
    return [] if reply is None else finish(reply, served + 20_000)


def test_mode_3_gets_a_mode_4_reply(tmp_path: Path) -> None:
    (data,) = ask(engine(tmp_path), CHRONY_PLAIN)
    reply = decode_packet(data)
    request = decode_packet(CHRONY_PLAIN)
    assert (reply.leap, reply.version, reply.mode, reply.stratum) == (0, 4, 4, 1)
    assert reply.poll == request.poll and reply.precision == -20
    assert reply.refid == b"GPS\0" and reply.origin == request.transmit
    assert ntp_to_ns(reply.receive, NOW) == pytest.approx(NOW, abs=1)
    assert ntp_to_ns(reply.transmit, NOW) == pytest.approx(NOW + 20_000, abs=1)
    assert ntp_to_ns(reply.reference, NOW) == pytest.approx(NOW - 10**9, abs=1)
    assert reply.root_dispersion == 1, "250 ns rounds up to one unit of 15.26 us"
    assert len(data) == len(CHRONY_PLAIN)


def test_version_is_echoed(tmp_path: Path) -> None:
    (data,) = ask(engine(tmp_path), NTPLIB_V3)
    assert decode_packet(data).version == 3


@pytest.mark.parametrize("state", [State.FREERUN, State.UNSYNC])
def test_unsynchronised_is_li_3_and_stratum_0_on_the_wire(tmp_path: Path, state: State) -> None:
    sync = make_state(state, 10**9, Leap.NONE, Leap.NONE, 0.0, 0.0, None, 0)
    (data,) = ask(engine(tmp_path, state=sync), CHRONY_PLAIN)
    reply = decode_packet(data)
    assert (reply.leap, reply.stratum, reply.reference) == (3, 0, 0)


def test_a_stale_snapshot_is_served_as_an_alarm_until_a_fresh_one_comes(tmp_path: Path) -> None:
    made = engine(tmp_path, {"rules": [{"network": "127.0.0.0/8", "query": True}]})
    update(made, LOCKED, STALE_NS + 1)
    reply = decode_packet(ask(made, CHRONY_PLAIN)[0])
    assert (reply.leap, reply.stratum, reply.refid, reply.reference) == (3, 0, b"STAL", 0)
    assert reply.root_dispersion == 1, "the error bound still goes out"
    (response,) = ask(made, readvar(), "127.0.0.1")
    status = struct.unpack_from("!H", response, 4)[0]
    assert status >> 14 == 3 and (status >> 8) & 0x3F == 0, "mode 6: alarm, no source"
    update(made, LOCKED, STALE_NS)  # at the limit: still fresh
    reply = decode_packet(ask(made, CHRONY_PLAIN)[0])
    assert (reply.leap, reply.stratum, reply.refid) == (0, 1, b"GPS\0")
    assert (made.counters["served"], made.counters["served_stale"]) == (2, 1)


def test_leap_indicator_follows_the_sync_state(tmp_path: Path) -> None:
    sync = make_state(State.LOCKED, 100, Leap.INSERT, Leap.INSERT, 0.0, 0.0, NOW, 9)
    (data,) = ask(engine(tmp_path, state=sync), CHRONY_PLAIN)
    assert decode_packet(data).leap == 1


@pytest.mark.parametrize("request_bytes", [CHRONY_MD5, CHRONY_SHA1, CHRONY_AES])
def test_valid_mac_gets_a_reply_signed_with_the_same_key(
    tmp_path: Path, request_bytes: bytes
) -> None:
    made = engine(tmp_path)
    (data,) = ask(made, request_bytes)
    reply = decode_packet(data)
    request = decode_packet(request_bytes)
    assert reply.mac is not None and request.mac is not None
    assert reply.mac.key_id == request.mac.key_id
    key = parse_keys_from_captures(request.mac.key_id)
    assert key.verify(data[:48], reply.mac.digest)
    assert made.counters["authenticated"] == 1


def parse_keys_from_captures(key_id: int):  # type: ignore[no-untyped-def]
    from services.ntp.keys import parse_keys

    return parse_keys(CHRONY_KEYS, "keys")[key_id]


def test_bad_mac_gets_a_crypto_nak_without_time(tmp_path: Path) -> None:
    made = engine(tmp_path)
    forged = CHRONY_AES[:-1] + bytes([CHRONY_AES[-1] ^ 1])
    (data,) = ask(made, forged)
    assert len(data) == 52 and data[-4:] == b"\0\0\0\0"
    nak = decode_packet(data)
    assert (nak.leap, nak.stratum, nak.refid) == (3, 0, b"CRYP")
    assert nak.receive == nak.transmit == 0 and nak.origin == decode_packet(forged).transmit
    assert made.counters["bad_mac"] == 1 and made.counters["served"] == 0


def test_bad_mac_silence_and_untrusted_keys(tmp_path: Path) -> None:
    made = engine(tmp_path, {"auth_failure": "drop", "trusted_keys": [3]})
    assert ask(made, CHRONY_MD5) == []  # key 1 is in the file but not trusted
    assert ask(made, CHRONY_AES)
    assert made.counters["bad_mac"] == 1


def test_rules_first_match_wins_ipv4_and_ipv6(tmp_path: Path) -> None:
    made = engine(tmp_path, {"rules": [
        {"network": "192.0.2.0/25", "action": "deny"},
        {"network": "192.0.2.0/24", "require_auth": True},
        {"network": "2001:db8::/32", "action": "deny"},
    ]})  # fmt: skip
    assert ask(made, CHRONY_PLAIN, "192.0.2.5") == []
    assert ask(made, CHRONY_PLAIN, "192.0.2.200") == []  # no MAC where one is required
    assert ask(made, CHRONY_AES, "192.0.2.200")
    assert ask(made, CHRONY_PLAIN, "2001:db8::7") == []
    assert ask(made, CHRONY_PLAIN, "2001:db9::7")
    assert ask(made, CHRONY_PLAIN, "::ffff:192.0.2.5") == []
    assert made.counters["denied"] == 4


def test_service_allow_list_comes_before_rules(tmp_path: Path) -> None:
    made = engine(tmp_path, {"allow": ["10.0.0.0/8"]})
    assert ask(made, CHRONY_PLAIN, "192.0.2.1") == []
    assert ask(made, CHRONY_PLAIN, "10.1.2.3")


def test_flood_gets_one_kod_per_interval_and_a_trickle_while_others_are_served(
    tmp_path: Path,
) -> None:
    made = engine(tmp_path, {"ratelimit": {"interval": 1.0, "burst": 4, "leak": 2}})
    spacing = 6_250_000  # 400 requests in 2.5 s
    answers = [ask(made, CHRONY_PLAIN, "198.51.100.9", host=HOST + n * spacing) for n in range(400)]
    kinds = [decode_packet(a[0]).refid if a else None for a in answers]
    assert kinds[:4] == [b"GPS\0"] * 4
    kods = [n for n, kind in enumerate(kinds) if kind == b"RATE"]
    assert len(kods) == 3, "one kiss per second of the flood, at its start and each second on"
    assert kods[0] == 4 and all(b - a >= SECOND // spacing for a, b in itertools.pairwise(kods))
    leaked = kinds[4:].count(b"GPS\0")
    assert 60 < leaked < 140  # one in four still answered
    assert all(len(a[0]) == 48 for a in answers if a)
    assert made.counters["kod_sent"] == 3 and made.counters["rate_limited"] == 396 - leaked
    assert decode_packet(ask(made, CHRONY_PLAIN, "198.51.100.10")[0]).refid == b"GPS\0"


def test_no_kod_means_silence_and_exempt_networks_are_not_limited(tmp_path: Path) -> None:
    made = engine(tmp_path, {
        "ratelimit": {"burst": 2, "leak": 0},
        "rules": [{"network": "192.0.2.0/24", "kod": False},
                  {"network": "203.0.113.0/24", "ratelimit": False}],
    })  # fmt: skip
    assert [bool(ask(made, CHRONY_PLAIN, "192.0.2.1")) for _ in range(4)] == [
        True,
        True,
        False,
        False,
    ]
    assert all(ask(made, CHRONY_PLAIN, "203.0.113.1") for _ in range(50))


def test_served_time_stepping_back_leaves_an_in_limit_client_answered(tmp_path: Path) -> None:
    """A servo step or a leap moves served time back an hour; the limit counts host time."""
    made = engine(tmp_path, {"ratelimit": {"burst": 3, "leak": 0}})
    assert ask(made, CHRONY_PLAIN, served=NOW, host=HOST)
    assert ask(made, CHRONY_PLAIN, served=NOW + SECOND, host=HOST + SECOND)
    (data,) = ask(made, CHRONY_PLAIN, served=NOW - 3600 * SECOND, host=HOST + 2 * SECOND)
    assert decode_packet(data).refid == b"GPS\0"
    assert made.counters["rate_limited"] == 0


def test_host_time_stepping_back_neither_limits_nor_refills(tmp_path: Path) -> None:
    made = engine(tmp_path, {"ratelimit": {"burst": 2, "leak": 0}})
    back = HOST - 3600 * SECOND
    answers = [ask(made, CHRONY_PLAIN, host=host) for host in (HOST, back, back, back + SECOND)]
    refids = [decode_packet(a[0]).refid if a else None for a in answers]
    assert refids == [b"GPS\0", b"GPS\0", b"RATE", b"GPS\0"]


def test_bad_mac_flood_gets_one_crypto_nak_per_interval(tmp_path: Path) -> None:
    """A spoofed bad-MAC flood is not reflected: crypto-NAKs share the client's kiss budget
    with KoD RATE, one per rate-limit interval."""
    made = engine(tmp_path, {"ratelimit": {"burst": 10_000, "interval": 1.0}})
    forged = CHRONY_AES[:-1] + bytes([CHRONY_AES[-1] ^ 1])
    hosts = [HOST + n * 10_000_000 for n in range(250)]  # 2.5 s
    naks = [n for n, host in enumerate(hosts) if ask(made, forged, host=host)]
    assert naks == [0, 100, 200]
    assert made.counters["bad_mac"] == 250
    assert ask(made, CHRONY_AES, host=hosts[-1]), "the client itself is still served"


def readvar(sequence: int = 1) -> bytes:
    return struct.pack("!BBHHHHH", (2 << 3) | 6, 2, sequence, 0, 0, 0, 0)


def test_mode_6_readvar_only_for_query_networks(tmp_path: Path) -> None:
    made = engine(tmp_path, {"rules": [{"network": "127.0.0.0/8", "query": True}]})
    assert ask(made, readvar(), "192.0.2.1") == []
    (response,) = ask(made, readvar(7), "127.0.0.1")
    first, op, sequence, status, _, offset, count = struct.unpack_from("!BBHHHHH", response)
    assert op == 0x82 and sequence == 7 and offset == 0
    assert response[12 : 12 + count] == b"stratum=1,\r\nrefid=GPS"
    assert status >> 14 == 0 and (status >> 8) & 0x3F == 4
    writevar = struct.pack("!BBHHHHH", (2 << 3) | 6, 9, 1, 0, 0, 0, 0)
    assert ask(made, writevar, "127.0.0.1") == []


@pytest.mark.parametrize(
    ("nanoseconds", "shown"),
    [(0, "0.000"), (-3, "0.000"), (1, "0.001"), (250, "0.001"), (1_000, "0.001"),
     (1_001, "0.002"), (1_500_000, "1.500"), (12_345_678_901, "12345.679")],
)  # fmt: skip
def test_mode_6_rootdisp_is_never_shown_below_the_bound(nanoseconds: int, shown: str) -> None:
    assert milliseconds(nanoseconds) == shown


def test_mode_7_and_other_modes_are_never_answered(tmp_path: Path) -> None:
    made = engine(tmp_path)
    mon_getlist = bytes([0x17, 0x00, 0x03, 0x2A]) + b"\0" * 4
    assert ask(made, mon_getlist) == []
    for mode in (1, 2, 4, 5):
        assert ask(made, bytes([(4 << 3) | mode]) + CHRONY_PLAIN[1:]) == []
    assert made.counters["mode7"] == 1 and made.counters["other_modes"] == 4


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_random_packets_never_raise_nor_amplify(data: bytes) -> None:
    check_no_amplification(data)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutated_captures_never_raise_nor_amplify(draw: st.DataObject) -> None:
    base = draw.draw(
        st.sampled_from([CHRONY_PLAIN, CHRONY_MD5, CHRONY_SHA1, CHRONY_AES, NTPLIB_V3])
    )
    spot = draw.draw(st.integers(0, len(base) - 1))
    junk = draw.draw(st.binary(max_size=40))
    cut = draw.draw(st.integers(0, len(base)))
    check_no_amplification((base[:spot] + junk + base[spot:])[: cut + len(junk)])


ENGINE_CACHE: dict[str, Engine] = {}


def check_no_amplification(data: bytes) -> None:
    if "e" not in ENGINE_CACHE:
        import tempfile

        ENGINE_CACHE["e"] = engine(Path(tempfile.mkdtemp()), {"ratelimit": {"burst": 10_000}})
    made = ENGINE_CACHE["e"]
    reply = made.handle(data, "192.0.2.77", NOW, HOST)
    if reply is None:
        return
    for packet in finish(reply, NOW):
        if reply.key is None:
            assert len(packet) <= len(data), f"{len(packet)} > {len(data)} for {data.hex()}"
