"""Firmware signing keys: an Ed25519 private key for release engineering, and the public
keys an appliance trusts (PEM files in `firmware-keys/` of the data directory; several, so
that keys can rotate)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from firmware.base.atomic_file import write_atomic
from firmware.base.small_file import UnreadableFile, read_regular_file
from firmware.upgrade.bundle import BundleError, key_id

TRUSTED_DIR = "firmware-keys"


def make_key(out: Path) -> str:
    """A new signing key in `out` (owner-only) and its public key in `out`.pub; the key id."""
    if out.exists():
        raise BundleError(f"{out} exists; a signing key is never overwritten")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    write_atomic(out, pem, 0o600)
    public = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    write_atomic(out.with_name(out.name + ".pub"), public, 0o644)
    return key_id(private.public_key())


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(_read(path), password=None)
    except (ValueError, TypeError):
        raise BundleError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError(f"{path} is not an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(_read(path))
    except ValueError:
        raise BundleError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError(f"{path} is not an Ed25519 public key")
    return key


def trusted_keys(data_dir: Path) -> list[Ed25519PublicKey]:
    """The public keys in the data directory's firmware-keys/ (*.pub)."""
    directory = data_dir / TRUSTED_DIR
    if not directory.is_dir():
        return []
    return [load_public(path) for path in sorted(directory.glob("*.pub"))]


def _read(path: Path) -> bytes:
    try:
        return read_regular_file(path)
    except UnreadableFile as exc:
        raise BundleError(str(exc)) from None
    except OSError as exc:
        raise BundleError(f"{path}: {os.strerror(exc.errno or 0)}") from None
