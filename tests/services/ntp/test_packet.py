"""The NTP codec against real captured packets, decoded and encoded back byte for byte."""

import pytest

from services.ntp.packet import (
    Extension,
    Mac,
    NtpPacketError,
    ns_to_date,
    ns_to_ntp,
    ntp_to_ns,
    short_format,
)
from tests.services.ntp.captures import (
    CHRONY_AES,
    CHRONY_MD5,
    CHRONY_PLAIN,
    CHRONY_SHA1,
    CHRONYD_REPLY,
    CHRONYD_REPLY_AES,
    NTPLIB_V3,
)
from tests.services.ntp.ntp_codec import NtpPacket, decode_packet, encode_packet


@pytest.mark.parametrize(
    ("data", "version", "mode", "key_id", "digest_size"),
    [
        (CHRONY_PLAIN, 4, 3, None, 0),
        (CHRONY_MD5, 4, 3, 1, 16),
        (CHRONY_SHA1, 4, 3, 2, 20),
        (CHRONY_AES, 4, 3, 3, 16),
        (NTPLIB_V3, 3, 3, None, 0),
        (CHRONYD_REPLY, 4, 4, None, 0),
        (CHRONYD_REPLY_AES, 4, 4, 3, 16),
    ],
)
def test_captures_decode_and_encode_back(
    data: bytes, version: int, mode: int, key_id: int | None, digest_size: int
) -> None:
    packet = decode_packet(data)
    assert (packet.version, packet.mode) == (version, mode)
    assert (packet.mac.key_id if packet.mac else None) == key_id
    assert len(packet.mac.digest) if packet.mac else 0 == digest_size
    assert encode_packet(packet) == data


def test_chronyd_reply_fields() -> None:
    reply = decode_packet(CHRONYD_REPLY)
    assert (reply.leap, reply.stratum, reply.poll, reply.precision) == (0, 1, 0, -26)
    assert reply.refid == bytes([127, 127, 1, 1])
    assert reply.origin == decode_packet(CHRONY_PLAIN).transmit
    assert reply.transmit > reply.receive


def test_extension_fields_round_trip() -> None:
    packet = NtpPacket(0, 4, 3, 0, 6, -20, 0, 0, b"\0" * 4, 0, 0, 0, 1,
                       (Extension(0x0104, b"abcdefghijkl"), Extension(0x0204, b"x" * 28)),
                       Mac(7, b"\x11" * 16))  # fmt: skip
    data = encode_packet(packet)
    assert len(data) == 48 + 16 + 32 + 20
    assert decode_packet(data) == packet


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (CHRONY_PLAIN[:47], "shorter than the 48-byte header"),
        (b"\x03" + CHRONY_PLAIN[1:], "version 0 is not 1-4"),
        (CHRONY_PLAIN + b"\0" * 8, "trailing bytes are no field and no MAC"),
        (CHRONY_PLAIN + b"\x00\x01\x00\x05" + b"\0" * 28, "extension field of length 5"),
        (CHRONY_PLAIN + b"\x00\x01\x01\x00" + b"\0" * 28, "extension field of length 256"),
        (NTPLIB_V3 + b"\0" * 32, "version 3 packets carry no extension fields"),
        (CHRONY_PLAIN + b"\0\0\0\x05", "must be a crypto-NAK"),
    ],
)
def test_malformed_packets_raise_one_error_type(data: bytes, message: str) -> None:
    with pytest.raises(NtpPacketError, match=message):
        decode_packet(data)


def test_crypto_nak_trailer() -> None:
    assert decode_packet(CHRONY_PLAIN + b"\0\0\0\0").mac == Mac(0, b"")


def test_timestamps_and_the_2036_era() -> None:
    now = 1_800_000_000_123_456_789
    assert abs(ntp_to_ns(ns_to_ntp(now), now) - now) <= 1
    after_2036 = 2_100_000_000 * 10**9  # 2036-07-18, era 1
    stamp = ns_to_ntp(after_2036)
    assert stamp >> 32 == (2_100_000_000 + 2_208_988_800) % 2**32
    assert ntp_to_ns(stamp, after_2036 - 10**9) == after_2036


SECOND = 1_000_000_000


@pytest.mark.parametrize(
    ("unix_s", "nanoseconds", "date"),
    [
        # 2026-01-01T00:00:00Z: 20454 days after 1970, 1767225600 s; NTP era 0 second
        # 1767225600 + 2208988800 = 3976214400 = 0xED003780.
        (1_767_225_600, 0, "00000000 ED003780 0000000000000000"),
        (1_767_225_600, 500_000_000, "00000000 ED003780 8000000000000000"),  # half a second
        (1_767_225_600, 1, "00000000 ED003780 000000044B82FA09"),  # 2^64 / 1e9, floored
        (-2_208_988_800, 0, "00000000 00000000 0000000000000000"),  # 1900-01-01: era 0 begins
        (-2_208_988_801, 0, "FFFFFFFF FFFFFFFF 0000000000000000"),  # its last second of era -1
        (2_085_978_496, 0, "00000001 00000000 0000000000000000"),  # 2036-02-07T06:28:16Z: era 1
    ],
)
def test_the_128_bit_date_format_names_its_era(unix_s: int, nanoseconds: int, date: str) -> None:
    assert ns_to_date(unix_s * SECOND + nanoseconds) == bytes.fromhex(date)


UNIT_NS = 1_000_000_000 / 65536  # one unit of NTP short format: 15258.789... ns


@pytest.mark.parametrize(
    ("nanoseconds", "wire"),
    [
        (0, 0),
        (-5, 0),  # no negative bound on the wire
        (1, 1),  # the smallest bound is not lost
        (250, 1),
        (15_258, 1),  # just under one unit
        (15_259, 2),  # just over one unit
        (1_000_000_000, 0x0001_0000),  # exactly one second stays
        (1_500_000_000, 0x0001_8000),  # exactly 1.5 s stays
        (1_500_000_001, 0x0001_8001),
        (65_535 * 1_000_000_000, 0xFFFF_0000),
        (65_536 * 1_000_000_000 - 15_259, 0xFFFF_FFFF),  # rounds up to the largest value
        (65_536 * 1_000_000_000 - 15_258, 0xFFFF_FFFF),  # would round past it: saturates
        (65_536 * 1_000_000_000, 0xFFFF_FFFF),  # saturates
        (10**15, 0xFFFF_FFFF),
    ],
)
def test_short_format_rounds_an_error_bound_up(nanoseconds: int, wire: int) -> None:
    assert short_format(nanoseconds) == wire
    assert wire * UNIT_NS >= min(nanoseconds, 0xFFFF_FFFF * UNIT_NS), "never understated"
