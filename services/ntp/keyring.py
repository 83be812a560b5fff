"""The keys in use: read from the keys file, reread when it changes, changed without a
restart (add, rotate, remove), and listed by id and type only."""

from __future__ import annotations

import os
from pathlib import Path

from firmware.base.atomic_file import write_atomic
from firmware.base.small_file import UnreadableFile, read_regular_file
from services.ntp.keys import (
    KeysFileError,
    KeyType,
    NtpKey,
    check_strength,
    format_keys,
    parse_keys,
    parse_secret,
)


class KeyRing:
    def __init__(self, path: Path, trusted: list[int]) -> None:
        self.path = path
        self.trusted = frozenset(trusted)
        self.keys: dict[int, NtpKey] = {}
        self.stamp: tuple[int, int] | None = None
        self.reload()

    def reload(self) -> bool:
        """Read the file again if it changed; True when it did. Errors raise KeysFileError."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            self.keys, self.stamp = {}, None
            return False
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self.stamp:
            return False
        try:
            text = read_regular_file(self.path).decode("ascii")
        except UnreadableFile as exc:
            raise KeysFileError(str(exc)) from exc
        except UnicodeDecodeError:
            raise KeysFileError(f"{self.path}: not ASCII text") from None
        self.keys = parse_keys(text, str(self.path))
        self.stamp = stamp
        return True

    def lookup(self, key_id: int) -> NtpKey | None:
        if self.trusted and key_id not in self.trusted:
            return None
        return self.keys.get(key_id)

    def usable(self) -> list[NtpKey]:
        """The keys that requests may be signed with: the trusted ones."""
        return [key for key in self.keys.values() if self.lookup(key.key_id) is key]

    def listing(self) -> list[tuple[int, str]]:
        return [(key.key_id, key.type.value) for key in sorted(self.keys.values(), key=_id)]

    def add(self, key_id: int, key_type: KeyType, secret_text: str) -> str:
        """Add or rotate (replace) a key; returns a warning about its strength, or ""."""
        if not 1 <= key_id <= 65535:
            raise ValueError("key id must be 1..65535")
        secret = parse_secret(secret_text, key_type)
        warning = check_strength(key_type, secret)
        self.keys[key_id] = NtpKey(key_id, key_type, secret)
        self._write()
        return warning

    def remove(self, key_id: int) -> None:
        if key_id not in self.keys:
            raise ValueError(f"no key {key_id}")
        del self.keys[key_id]
        self._write()

    def _write(self) -> None:
        write_atomic(self.path, format_keys(self.keys).encode("ascii"))
        info = os.stat(self.path)
        self.stamp = (info.st_mtime_ns, info.st_size)


def _id(key: NtpKey) -> int:
    return key.key_id
