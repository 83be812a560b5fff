"""Symmetric keys: the ntp.keys file of ntpd/ntpsec (also chrony's HEX:/ASCII: keys) and
the MACs of RFC 5905 (MD5, SHA1: digest of key + packet) and RFC 8573 (AES-128-CMAC)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from enum import Enum

from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives.ciphers import algorithms


class KeyType(Enum):
    MD5 = "MD5"
    SHA1 = "SHA1"
    AES128CMAC = "AES128CMAC"


TYPE_NAMES = {"MD5": KeyType.MD5, "M": KeyType.MD5, "SHA1": KeyType.SHA1,
              "AES128CMAC": KeyType.AES128CMAC, "AES-128-CMAC": KeyType.AES128CMAC,
              "AES128": KeyType.AES128CMAC, "CMAC": KeyType.AES128CMAC}  # fmt: skip


def key_type(name: str) -> KeyType:
    """A key type by any of its names, in any case (md5, Aes128, AES-128-CMAC)."""
    found = TYPE_NAMES.get(name.upper())
    if found is None:
        raise ValueError(f"no key type {name!r}; types are MD5, SHA1 and AES128CMAC")
    return found


DIGEST_SIZE = {KeyType.MD5: 16, KeyType.SHA1: 20, KeyType.AES128CMAC: 16}
ASCII_MAX = 20  # ntpsec: up to 20 printable characters are ASCII, longer keys are hex


class KeysFileError(ValueError):
    """A keys file line that cannot be used; names the line."""


@dataclass(frozen=True)
class NtpKey:
    key_id: int
    type: KeyType
    secret: bytes
    _base: cmac.CMAC | hashes.Hash = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Keyed once; each MAC copies this context instead of setting the key up again.
        base: cmac.CMAC | hashes.Hash
        if self.type is KeyType.AES128CMAC:
            base = cmac.CMAC(algorithms.AES(self.secret))
        else:
            base = hashes.Hash(hashes.MD5() if self.type is KeyType.MD5 else hashes.SHA1())
            base.update(self.secret)
        object.__setattr__(self, "_base", base)

    def mac(self, data: bytes) -> bytes:
        context = self._base.copy()
        context.update(data)
        return context.finalize()

    def verify(self, data: bytes, received: bytes) -> bool:
        return len(received) == DIGEST_SIZE[self.type] and hmac.compare_digest(
            self.mac(data), received
        )


def parse_secret(text: str, key_type: KeyType) -> bytes:
    if text.startswith("HEX:"):
        secret = bytes.fromhex(text[4:])
    elif text.startswith("ASCII:"):
        secret = text[6:].encode("ascii")
    elif len(text) <= ASCII_MAX:
        secret = text.encode("ascii")
    else:
        secret = bytes.fromhex(text)
    if not secret:
        raise ValueError("empty key")
    if key_type is KeyType.AES128CMAC and len(secret) != 16:
        raise ValueError(f"an AES-128-CMAC key is 16 bytes, not {len(secret)}")
    return secret


MIN_SECURE_BYTES = 10
"""80 bits: chrony's minimum for a secure key."""


def check_strength(key_type: KeyType, secret: bytes) -> str:
    """For a key being added: refuse a SHA1 key shorter than 80 bits (AES-128-CMAC keys are
    128 bits exactly, parse_secret sees to it); an MD5 key that short is only warned about,
    as chrony does, since old clients may have nothing better. Returns the warning, or ""."""
    if len(secret) >= MIN_SECURE_BYTES:
        return ""
    bits = len(secret) * 8
    if key_type is KeyType.MD5:
        return f"warning: a {bits}-bit key is weak; use at least 80 bits (20 hex digits)"
    raise ValueError(
        f"a {key_type.value} key must be at least 80 bits (10 bytes, 20 hex digits), not {bits}"
    )


def parse_keys(text: str, source: str) -> dict[int, NtpKey]:
    keys: dict[int, NtpKey] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            # Neither the key nor any other text of the line goes into the message: the
            # path may name a file that is not a keys file at all.
            try:
                key = _parse_line(line.split())
            except ValueError as exc:
                raise KeysFileError(f"{source}:{number}: {exc}") from None
            keys[key.key_id] = key
    return keys


def _parse_line(fields: list[str]) -> NtpKey:
    if len(fields) != 3:
        raise ValueError("expected: keyid type key")
    if not fields[0].isdigit() or not 1 <= int(fields[0]) <= 65535:
        raise ValueError("the key id is not a number 1..65535")
    key_type = TYPE_NAMES.get(fields[1].upper())
    if key_type is None:
        raise ValueError("the type is not MD5, SHA1 or AES128CMAC")
    try:
        secret = parse_secret(fields[2], key_type)
    except UnicodeError:
        raise ValueError("the key is not ASCII") from None
    except ValueError as exc:
        if "fromhex" in str(exc):
            raise ValueError("the key is not hex") from None
        raise
    return NtpKey(int(fields[0]), key_type, secret)


def format_keys(keys: dict[int, NtpKey]) -> str:
    lines = ["# NTP symmetric keys. Format of ntpd/ntpsec: keyid type key (hex)."]
    for key_id, key in sorted(keys.items()):
        lines.append(f"{key_id} {key.type.value} {key.secret.hex()}")
    return "\n".join(lines) + "\n"
