"""The device's identity, made at first boot: serial number, keys, certificate, admin account."""

from __future__ import annotations

import datetime
import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from firmware.admin.passwords import check_policy, random_password
from firmware.admin.users import UserStore
from firmware.base.atomic_file import write_atomic
from firmware.base.certificates import CERT_FILE, KEY_FILE, finish_pending, self_signed_pair

PASSWORD_VARIABLE = "TIMESERVER_ADMIN_PASSWORD"
NTP_KEY_TYPES = (("AES128CMAC", 16), ("SHA1", 20), ("MD5", 20))


@dataclass(frozen=True)
class Identity:
    serial: str
    hostname: str
    ssh_host_keys: dict[str, Path]
    tls_key: Path
    tls_certificate: Path
    ntp_keys: Path
    users: Path
    created: list[str]
    one_time_password: str | None


def ensure_identity(data_dir: Path, admin_password: str | None, now: datetime.datetime) -> Identity:
    """Create whatever part of the identity is missing; never replace what exists.

    `admin_password` comes from the environment; without it a one-time password is made,
    returned once in `one_time_password`, and must be changed at first login.
    """
    if admin_password is not None:
        check_policy(admin_password)
    prepare_data_dir(data_dir)
    created: list[str] = []
    serial_path = data_dir / "serial"
    if not serial_path.exists():
        write_atomic(serial_path, f"TS-{secrets.token_hex(6).upper()}\n".encode())
        created.append("serial number")
    serial = serial_path.read_text(encoding="ascii").strip()
    hostname = f"timeserver-{serial.removeprefix('TS-').lower()}"
    keys = {
        "ed25519": data_dir / "ssh_host_ed25519_key",
        "rsa": data_dir / "ssh_host_rsa_key",
    }
    _once(
        keys["ed25519"],
        lambda: _ssh_key(ed25519.Ed25519PrivateKey.generate(), keys["ed25519"], hostname),
        "SSH host key (Ed25519)",
        created,
    )
    _once(
        keys["rsa"],
        lambda: _ssh_key(rsa.generate_private_key(65537, 3072), keys["rsa"], hostname),
        "SSH host key (RSA 3072)",
        created,
    )
    tls_key, tls_cert = data_dir / KEY_FILE, data_dir / CERT_FILE
    finish_pending(data_dir)  # a certificate install that a kill interrupted
    _once(
        tls_cert, lambda: _tls(tls_key, tls_cert, hostname, serial, now), "TLS certificate", created
    )
    ntp_keys = data_dir / "ntp.keys"
    _once(ntp_keys, lambda: _ntp_keys(ntp_keys, hostname, now), "NTP keys", created)
    record = data_dir / "ntp.keys.first-boot.sha256"
    if not record.exists():  # the hardening check tells whether these keys were replaced
        digest = hashlib.sha256(ntp_keys.read_bytes()).hexdigest()
        write_atomic(record, (digest + "\n").encode())
    users = UserStore(data_dir / "users.json")
    one_time = None
    if not users.exists():
        password = admin_password if admin_password is not None else random_password()
        users.create("admin", "admin", password, must_change=admin_password is None)
        one_time = None if admin_password is not None else password
        created.append("admin account")
    return Identity(
        serial, hostname, keys, tls_key, tls_cert, ntp_keys, users.path, created, one_time
    )


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data directory readable by its owner only."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)


def _once(path: Path, make: Callable[[], None], what: str, created: list[str]) -> None:
    if not path.exists():
        make()
        created.append(what)


def _ssh_key(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey, path: Path, hostname: str) -> None:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    write_atomic(path.with_name(path.name + ".pub"), public + f" root@{hostname}\n".encode(), 0o644)
    write_atomic(path, private)


def _tls(key_path: Path, cert_path: Path, hostname: str, serial: str,
         now: datetime.datetime) -> None:  # fmt: skip
    pair = self_signed_pair(hostname, serial, now)
    write_atomic(key_path, pair.key_pem)
    write_atomic(cert_path, pair.chain_pem, 0o644)


def _ntp_keys(path: Path, hostname: str, now: datetime.datetime) -> None:
    lines = [
        f"# NTP symmetric keys of {hostname}, made at first boot {now:%Y-%m-%d}.",
        "# Format of ntpd/ntpsec: keyid type key (hex). Replace them before use in production.",
    ]
    for keyid, (kind, size) in enumerate(NTP_KEY_TYPES, start=1):
        lines.append(f"{keyid} {kind} {secrets.token_hex(size)}")
    write_atomic(path, ("\n".join(lines) + "\n").encode("ascii"))
