"""What the daytime and time services send: free of I/O, served time passed in."""

from __future__ import annotations

import datetime
import struct

RFC868_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
ERA = 1 << 32


def rfc868(served_ns: int) -> bytes:
    """Seconds since 1900 in 32 bits; in 2036 the count wraps to era 1, as clients expect."""
    return struct.pack("!I", (served_ns // 1_000_000_000 + RFC868_EPOCH_OFFSET) % ERA)


def daytime(served_ns: int) -> bytes:
    """RFC 867 leaves the format open; this is inetd's: ctime() in UTC, then CRLF."""
    moment = datetime.datetime.fromtimestamp(served_ns // 1_000_000_000, datetime.UTC)
    day = f"{moment.day:2d}"  # ctime pads the day with a space
    return moment.strftime(f"%a %b {day} %H:%M:%S %Y UTC").encode() + b"\r\n"
