"""Password hashing with scrypt; only the hash is ever stored."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor

MIN_LENGTH = 12
# N=2**15, r=8 needs 32 MiB and about 0.1 s per guess on these machines.
_LOG2_N, _R, _P = 15, 8, 1
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
# One hash at a time, as when they ran on the event loop: each takes 32 MiB, and a burst of
# logins must not multiply that.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrypt")


class PasswordError(ValueError):
    """A password that the policy refuses."""


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"a password needs at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _LOG2_N, _R, _P)
    return f"$scrypt$ln={_LOG2_N},r={_R},p={_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, scheme, params, salt, digest = stored.split("$")
        fields = dict(item.split("=") for item in params.split(","))
        log2_n, r, p = int(fields["ln"]), int(fields["r"]), int(fields["p"])
        expected = base64.b64decode(digest + "==")
        salt_bytes = base64.b64decode(salt + "==")
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or not (10 <= log2_n <= 20):
        return False
    actual = _scrypt(password, salt_bytes, log2_n, r, p)
    return hmac.compare_digest(actual, expected)


async def hash_password_off_loop(password: str) -> str:
    """hash_password in a thread: scrypt's 0.1 s would stall every task on the event loop,
    the NTP publisher among them."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, hash_password, password)


async def verify_password_off_loop(password: str, stored: str) -> bool:
    """verify_password in a thread, for the same reason."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_HASHING, verify_password, password, stored)


def random_password(length: int = 16) -> str:
    """A one-time password that reads well on a console: no 0/O or 1/l/I."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")
