"""The front door's decisions: the allow-list for every SNMP version, a per-source rate
limit, v1 and unreadable datagrams dropped, and the failed logins snmpd's reports (or its
word of an undecryptable request) reveal, named with the real source (time passed in)."""

import random

from services.snmp.front_door import AWAIT_NS, RATE_BURST, Failure, FrontDoor, Verdict
from tests.services.snmp.test_snmp_message import (
    LABRO_AUTH_NO_PRIV,
    LABRO_AUTH_PRIV,
    UNKNOWN_ENGINE_REPORT,
    UNKNOWN_USER_REPORT,
    V1_GET,
    V2C_GET,
    WRONG_DIGEST_REPORT,
)

SECOND = 1_000_000_000


def door(*allow: str) -> FrontDoor:
    return FrontDoor(list(allow), random.Random(1))


def test_the_allow_list_holds_for_v3_and_v2c_alike() -> None:
    front = door("192.0.2.0/24", "2001:db8::/32")
    for message in (LABRO_AUTH_PRIV, V2C_GET):
        data = bytes.fromhex(message)
        assert front.request("192.0.2.7", data, 0) == Verdict.FORWARD
        assert front.request("2001:db8::7", data, 0) == Verdict.FORWARD
        assert front.request("198.51.100.1", data, 0) == Verdict.REFUSED
        assert front.request("::ffff:198.51.100.1", data, 0) == Verdict.REFUSED
    assert front.counters["refused"] == 4 and front.counters["forwarded"] == 4


def test_an_empty_allow_list_lets_every_source_through() -> None:
    assert door().request("203.0.113.5", bytes.fromhex(LABRO_AUTH_PRIV), 0) == Verdict.FORWARD


def test_v1_and_garbage_are_dropped_and_counted() -> None:
    front = door()
    assert front.request("192.0.2.1", bytes.fromhex(V1_GET), 0) == Verdict.V1
    assert front.request("192.0.2.1", b"\x30\x02\x02\x00", 0) == Verdict.MALFORMED
    assert (front.counters["v1_dropped"], front.counters["malformed"]) == (1, 1)


def test_a_flood_from_one_source_is_limited_and_others_are_not() -> None:
    front = door()
    data = bytes.fromhex(LABRO_AUTH_PRIV)
    verdicts = [front.request("192.0.2.1", data, 0) for _ in range(RATE_BURST + 50)]
    assert verdicts.count(Verdict.RATE_LIMITED) == 50
    assert front.request("192.0.2.2", data, 0) == Verdict.FORWARD
    assert front.request("192.0.2.1", data, SECOND) == Verdict.FORWARD


def test_reports_of_failed_logins_name_the_source_and_user() -> None:
    front = door()
    failure = front.reply("192.0.2.9", bytes.fromhex(WRONG_DIGEST_REPORT))
    assert failure == Failure("192.0.2.9", "labro", "wrong authentication passphrase")
    assert failure.message == (
        "SNMP wrong authentication passphrase for user 'labro' from 192.0.2.9"
    )
    unknown = front.reply("192.0.2.9", bytes.fromhex(UNKNOWN_USER_REPORT))
    assert unknown == Failure("192.0.2.9", "nobody", "unknown user")
    assert front.counters["wrong_digest"] == 1 and front.counters["unknown_user"] == 1


def test_discovery_and_ordinary_replies_are_no_failure() -> None:
    front = door()
    assert front.reply("192.0.2.9", bytes.fromhex(UNKNOWN_ENGINE_REPORT)) is None
    assert front.reply("192.0.2.9", bytes.fromhex(LABRO_AUTH_PRIV)) is None
    assert front.reply("192.0.2.9", b"not snmp") is None
    assert front.counters["replies"] == 3


def test_an_undecryptable_request_is_named_by_the_encrypted_ones_unanswered() -> None:
    front = door()
    encrypted = bytes.fromhex(LABRO_AUTH_PRIV)
    front.request("192.0.2.1", encrypted, 0)
    front.request("192.0.2.2", bytes.fromhex(LABRO_AUTH_NO_PRIV), 1)  # readable: snmpd answers
    front.request("192.0.2.3", encrypted, 2)
    front.reply("192.0.2.1", bytes.fromhex(LABRO_AUTH_PRIV))  # answered: decrypted fine
    failure = front.undecryptable(4)
    assert failure == Failure("192.0.2.3", "labro", "decryption error (wrong privacy passphrase)")
    assert failure.message == (
        "SNMP decryption error (wrong privacy passphrase) for user 'labro' from 192.0.2.3"
    )
    assert front.undecryptable(6) is None, "no encrypted request left to name"
    # Two sources waiting: both are named, neither is blamed alone.
    front.request("192.0.2.5", encrypted, 7)
    front.request("192.0.2.4", encrypted, 8)
    both = front.undecryptable(9)
    assert both == Failure("one of 192.0.2.4, 192.0.2.5", "labro", failure.reason)
    assert front.counters["decryption_error"] == 2


def test_an_encrypted_request_long_unanswered_is_not_blamed() -> None:
    front = door()
    front.request("192.0.2.1", bytes.fromhex(LABRO_AUTH_PRIV), 0)
    assert front.undecryptable(AWAIT_NS + 1) is None
    assert front.counters["decryption_error"] == 0


def test_an_answer_settles_only_the_encrypted_request_with_its_msgid() -> None:
    """A source's readable request answered (v2c here) leaves its encrypted request waiting:
    snmpd's word of an undecryptable request then names both sources still waiting, and is
    not pinned on another client's encrypted request that is merely slow."""
    front = door()
    slow = bytes.fromhex(LABRO_AUTH_PRIV.replace("69e55bcb", "1234abcd", 1))
    front.request("192.0.2.1", bytes.fromhex(LABRO_AUTH_PRIV), 0)  # a wrong privacy key
    front.request("192.0.2.1", bytes.fromhex(V2C_GET), 1)
    front.request("192.0.2.2", slow, 2)
    front.reply("192.0.2.1", bytes.fromhex(V2C_GET))  # the v2c request's answer
    failure = front.undecryptable(3)
    assert failure is not None and failure.source == "one of 192.0.2.1, 192.0.2.2"
    front.reply("192.0.2.1", bytes.fromhex(LABRO_AUTH_PRIV))  # same msgID: settled
    assert front.undecryptable(4) == Failure("192.0.2.2", "labro", failure.reason)
