"""IETF/NIST leap-seconds.list: the leap second table, its SHA-1 check and its expiry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from firmware.base.small_file import UnreadableFile, read_regular_file

NTP_TO_UNIX = 2_208_988_800


class LeapFileError(Exception):
    """A leap-seconds.list that cannot be trusted."""


@dataclass(frozen=True)
class LeapTable:
    updated_unix: int
    expires_unix: int
    entries: tuple[tuple[int, int], ...]
    """(Unix second at which TAI-UTC changes, TAI-UTC from then on)."""

    def tai_offset(self, unix_s: int) -> int:
        offset = 0
        for start, value in self.entries:
            if unix_s >= start:
                offset = value
        return offset

    def next_leap(self, unix_s: int) -> tuple[int, int] | None:
        """(Unix second the leap ends at, +1 or -1) for the first leap after `unix_s`."""
        previous = self.tai_offset(unix_s)
        for start, value in self.entries:
            if start > unix_s:
                return start, value - previous
        return None


def parse_leap_file(text: str) -> LeapTable:
    """Parse and check the hash (#h) over #$, #@ and the first two fields of each entry."""
    updated = expires = None
    digest = ""
    hashed: list[str] = []
    entries: list[tuple[int, int]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        try:
            if line.startswith("#$"):
                updated = int(line[2:].split()[0])
                hashed.append(str(updated))
            elif line.startswith("#@"):
                expires = int(line[2:].split()[0])
                hashed.append(str(expires))
            elif line.startswith("#h"):
                digest = "".join(line[2:].split()).lower()
            elif line and not line.startswith("#"):
                ntp_seconds, offset = (int(x) for x in line.split("#")[0].split()[:2])
                hashed += [str(ntp_seconds), str(offset)]
                entries.append((ntp_seconds - NTP_TO_UNIX, offset))
        except (ValueError, IndexError):
            # The line itself is never quoted: the path may name a file that is not ours.
            raise LeapFileError(f"line {number}: not a leap-seconds.list line") from None
    if updated is None or expires is None or not entries:
        raise LeapFileError("missing the #$ update time, the #@ expiry or the table")
    actual = hashlib.sha1("".join(hashed).encode("ascii")).hexdigest()  # noqa: S324
    if digest != actual:
        raise LeapFileError("hash mismatch: the #h line does not match the table")
    return LeapTable(updated - NTP_TO_UNIX, expires - NTP_TO_UNIX, tuple(entries))


def load_leap_file(path: Path) -> LeapTable:
    try:
        text = read_regular_file(path).decode("ascii")
    except UnreadableFile as exc:
        raise LeapFileError(str(exc)) from exc
    except UnicodeDecodeError:
        raise LeapFileError(f"{path}: not ASCII text") from None
    try:
        return parse_leap_file(text)
    except LeapFileError as exc:
        raise LeapFileError(f"{path}: {exc}") from None
