"""Mode 6 control messages, read-only: READSTAT and READVAR of the system variables, which
is what `ntpq -c rv` asks. Nothing that writes is understood.

An authenticated control message (RFC 1305 appendix B, as ntpd's ntp_control.c and ntpsec's
ntpq lay it out): the 12-byte header and `count` octets of data, zero-padded to a multiple
of 8 octets; then the key id and the MAC of everything before the key id. Unauthenticated
messages are padded to 4 octets only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from services.ntp.keys import NtpKey
from services.ntp.packet import NtpPacketError

CONTROL_HEADER = struct.Struct("!BBHHHHH")
READSTAT, READVAR = 1, 2
RESPONSE, MORE = 0x80, 0x20
MAX_FRAGMENT = 468
MAC_ALIGNMENT = 8
MAC_SIZES = (4 + 16, 4 + 20)  # key id and an MD5 or AES-CMAC digest, or a SHA1 one
KEY_ID = struct.Struct("!I")
SOURCE_UHF_RADIO = 4  # ntpd's clock source code for GPS


@dataclass(frozen=True)
class ControlRequest:
    version: int
    opcode: int
    sequence: int
    association: int
    mac_at: int | None = None
    """Where the key id of the request's MAC starts, if it carries one."""


def signed_length(count: int) -> int:
    """How many octets a MAC covers: the header and `count` data octets, padded to 8."""
    end = CONTROL_HEADER.size + count
    return end + (-end % MAC_ALIGNMENT)


def decode_control(data: bytes) -> ControlRequest:
    if len(data) < CONTROL_HEADER.size:
        raise NtpPacketError("mode 6 message shorter than its 12-byte header")
    first, op, sequence, _status, association, offset, count = CONTROL_HEADER.unpack_from(data)
    if op & (RESPONSE | MORE) or offset != 0 or CONTROL_HEADER.size + count > len(data):
        raise NtpPacketError("not a single-fragment mode 6 request")
    signed = signed_length(count)
    mac_at = signed if len(data) - signed in MAC_SIZES else None
    return ControlRequest((first >> 3) & 7, op & 0x1F, sequence, association, mac_at)


def system_status(leap: int, synchronised: bool) -> int:
    source = SOURCE_UHF_RADIO if synchronised else 0
    return (leap << 14) | (source << 8)


def encode_responses(
    request: ControlRequest, status: int, text: str, key: NtpKey | None = None
) -> list[bytes]:
    """The response fragments to a request; data cut at 468 bytes as ntpd does, each fragment
    signed with `key` if the request was."""
    data = text.encode("ascii")
    chunks = [data[n : n + MAX_FRAGMENT] for n in range(0, len(data), MAX_FRAGMENT)] or [b""]
    fragments = []
    for index, chunk in enumerate(chunks):
        more = MORE if index < len(chunks) - 1 else 0
        header = CONTROL_HEADER.pack(
            (request.version << 3) | 6, RESPONSE | more | request.opcode, request.sequence,
            status, request.association, index * MAX_FRAGMENT, len(chunk),
        )  # fmt: skip
        fragment = header + chunk + b"\0" * (-len(chunk) % 4)
        if key is not None:
            fragment += b"\0" * (signed_length(len(chunk)) - len(fragment))
            fragment += KEY_ID.pack(key.key_id) + key.mac(fragment)
        fragments.append(fragment)
    return fragments


def milliseconds(nanoseconds: int) -> str:
    """An error bound as ntpq shows it, in milliseconds to three places, rounded up to the
    microsecond so that it never reads smaller than it is."""
    microseconds = max(0, -(-nanoseconds // 1000))
    return f"{microseconds // 1000}.{microseconds % 1000:03d}"


def system_variables(values: dict[str, str]) -> str:
    return ",\r\n".join(f"{name}={value}" for name, value in values.items())
