"""Mode 6 in the engine, with `now` passed in: answered only where a `query` rule allows it,
out of the client's own rate-limit bucket (no leak, no kiss), and authenticated as ntpd and
ntpq lay it out where the rule has `require_auth`."""

import struct
from pathlib import Path

import pytest

from services.ntp.control import signed_length
from services.ntp.engine import Engine
from services.ntp.keys import NtpKey, parse_keys
from services.ntp.packet import SECOND
from tests.services.ntp.captures import CHRONY_KEYS, CHRONY_PLAIN
from tests.services.ntp.test_engine import HOST, ask, engine

KEYS = parse_keys(CHRONY_KEYS, "test")  # 1 MD5, 2 SHA1, 3 AES128CMAC
HEADER = struct.Struct("!BBHHHHH")
QUERY = {"network": "127.0.0.0/8", "query": True}


def control(sequence: int = 1, data: bytes = b"", key: NtpKey | None = None) -> bytes:
    """A READVAR as ntpq sends it: data padded to 4 octets, or to 8 and a MAC with a key."""
    message = HEADER.pack((2 << 3) | 6, 2, sequence, 0, 0, 0, len(data)) + data
    message += b"\0" * (-len(message) % 4)
    if key is None:
        return message
    message += b"\0" * (signed_length(len(data)) - len(message))
    return message + struct.pack("!I", key.key_id) + key.mac(message)


def text_of(response: bytes) -> bytes:
    count = HEADER.unpack_from(response)[6]
    return response[12 : 12 + count]


def test_mode_6_takes_from_the_time_requests_bucket_with_no_leak_and_no_kiss(
    tmp_path: Path,
) -> None:
    made = engine(tmp_path, {"rules": [QUERY], "ratelimit": {"burst": 3, "leak": 1}})
    assert all(ask(made, CHRONY_PLAIN, "127.0.0.1") for _ in range(2))
    assert ask(made, control(), "127.0.0.1"), "the third of a burst of 3"
    assert [ask(made, control(n), "127.0.0.1") for n in range(200)] == [[]] * 200
    assert made.counters["rate_limited"] == 200 and made.counters["kod_sent"] == 0
    leaked = sum(bool(ask(made, CHRONY_PLAIN, "127.0.0.1")) for _ in range(200))
    assert 50 < leaked < 150, "time requests over the limit still leak one in two"
    assert ask(made, control(), "127.0.0.1", host=HOST + SECOND), "a second later: one more"


def test_mode_6_exempt_from_the_limit_where_the_rule_says_so(tmp_path: Path) -> None:
    made = engine(tmp_path, {"rules": [{**QUERY, "ratelimit": False}], "ratelimit": {"burst": 1}})
    assert all(ask(made, control(n), "127.0.0.1") for n in range(50))


@pytest.mark.parametrize("key_id", [1, 2, 3])
def test_require_auth_answers_a_signed_readvar_signed_with_the_same_key(
    tmp_path: Path, key_id: int
) -> None:
    made = engine(tmp_path, {"rules": [{**QUERY, "require_auth": True}]})
    key = KEYS[key_id]
    (response,) = ask(made, control(7, key=key), "127.0.0.1")
    end = signed_length(len(text_of(response)))
    assert text_of(response) == b"stratum=1,\r\nrefid=GPS"
    assert response[end : end + 4] == struct.pack("!I", key_id)
    assert key.verify(response[:end], response[end + 4 :]), "as ntpq checks it"
    assert response[12 + len(text_of(response)) : end] == bytes(end - 12 - 21), "zero padding"
    assert made.counters["authenticated"] == 1


def test_require_auth_drops_unsigned_and_badly_signed_readvars(tmp_path: Path) -> None:
    made = engine(tmp_path, {"rules": [{**QUERY, "require_auth": True}]})
    good = control(key=KEYS[1])
    forged = good[:-1] + bytes([good[-1] ^ 1])
    unknown = good[:16] + struct.pack("!I", 99) + good[20:]
    wrong_length = control(key=KEYS[2])[:-4]  # a SHA1 key id with an MD5-sized digest
    assert ask(made, control(), "127.0.0.1") == []
    assert made.counters["denied"] == 1
    for bad in (forged, unknown, wrong_length):
        assert ask(made, bad, "127.0.0.1") == []
    assert made.counters["bad_mac"] == 3 and made.counters["authenticated"] == 0


def test_without_require_auth_a_mac_is_still_checked_and_honoured(tmp_path: Path) -> None:
    made = engine(tmp_path, {"rules": [QUERY]})
    (plain,) = ask(made, control(), "127.0.0.1")
    assert len(plain) == 12 + 24, "21 octets of text padded to 4, no MAC"
    (signed,) = ask(made, control(key=KEYS[3]), "127.0.0.1")
    assert len(signed) == signed_length(21) + 4 + 16
    forged = control(key=KEYS[3])[:-1] + b"\0"
    assert ask(made, forged, "127.0.0.1") == [] and made.counters["bad_mac"] == 1


def test_mode_6_elsewhere_is_not_answered_nor_recorded(tmp_path: Path) -> None:
    made: Engine = engine(tmp_path, {"rules": [QUERY], "ratelimit": {"burst": 1}})
    assert ask(made, control(), "192.0.2.1") == []
    assert made.clients.recent(1) == []
    assert ask(made, CHRONY_PLAIN, "192.0.2.1"), "its bucket untouched"
