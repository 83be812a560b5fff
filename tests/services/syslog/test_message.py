"""RFC 5424 messages and RFC 6587 framing, checked against hand-written expected bytes."""

import pytest

from firmware.base.events import Event, Severity
from services.syslog.message import encode_message, frame_octet_counted, truncate_datagram

T = 1_800_000_000 * 10**9 + 5_000


ROWS = [
    (
        Event(T, "appliance.ready", Severity.NOTICE, "appliance ready"),
        "daemon",
        b"<29>1 2027-01-15T08:00:00.000005Z ts-1 timeserver 42 appliance.ready - appliance ready",
    ),
    (
        Event(
            T,
            "login.failed",
            Severity.WARNING,
            "login failed",
            {"user": "admin", "src": "192.0.2.9"},
            True,
        ),
        "daemon",
        b"<84>1 2027-01-15T08:00:00.000005Z ts-1 timeserver 42 login.failed "
        b'[timeserver@32473 user="admin" src="192.0.2.9"] login failed',
    ),
    (
        Event(T, "odd", Severity.ERROR, "caf\u00e9", {"q": 'a"b]c\\d'}),
        "local3",
        b"<155>1 2027-01-15T08:00:00.000005Z ts-1 timeserver 42 odd "
        b'[timeserver@32473 q="a\\"b\\]c\\\\d"] caf\xc3\xa9',
    ),
]


@pytest.mark.parametrize(("event", "facility", "expected"), ROWS)
def test_encode(event: Event, facility: str, expected: bytes) -> None:
    assert encode_message(event, "ts-1", facility, 42) == expected


def test_header_fields_never_carry_spaces() -> None:
    event = Event(T, "kind with spaces", Severity.INFO, "m")
    message = encode_message(event, "host name", "daemon", 1)
    assert message.split(b" ")[2:6] == [b"hostname", b"timeserver", b"1", b"kindwithspaces"]


def test_octet_counting_and_datagram_limit() -> None:
    assert frame_octet_counted(b"<13>1 - - - - - - hi") == b"20 <13>1 - - - - - - hi"
    assert len(truncate_datagram(b"x" * 5000)) == 2048
