"""Firmware bundles: one file with the project's wheel and every dependency's, a manifest
naming each file's SHA-256, and an Ed25519 signature over the manifest.

A bundle is an uncompressed tar of `manifest.json`, `manifest.sig` and `wheels/NAME.whl`,
nothing else. Reading one never extracts by the names inside it: every member must be a
regular file with one of those plain names, listed in the manifest with its hash, and the
manifest must be signed by a trusted key. Any other bundle is refused with one line that
says why (BundleError).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import tarfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
WHEEL = re.compile(r"wheels/[A-Za-z0-9_.+-]+\.whl")
MAX_MANIFEST = 1 << 20
MAX_WHEEL = 256 << 20
CHUNK = 1 << 20
VERSION = re.compile(r"\d+(\.\d+){0,3}")


class BundleError(Exception):
    """A bundle that cannot be used; the message is one line saying why."""


@dataclass(frozen=True)
class Manifest:
    firmware_version: str
    min_upgrade_from: str
    """The oldest running version this bundle may replace."""
    python_abi: str
    """cp311: the interpreter the wheels were built for."""
    platform: str
    """linux-x86_64: sysconfig.get_platform() where it was built."""
    files: dict[str, str]
    """wheels/NAME.whl -> SHA-256 (hex)."""
    built_at: str
    format: int = FORMAT

    def encode(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode() + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> Manifest:
        try:
            fields = json.loads(data)
            manifest = cls(**fields)
        except (ValueError, TypeError) as exc:
            raise BundleError(f"the manifest is not valid: {exc}") from None
        manifest.check()
        return manifest

    def check(self) -> None:
        if self.format != FORMAT:
            raise BundleError(f"bundle format {self.format!r}; this firmware reads {FORMAT}")
        for name in ("firmware_version", "min_upgrade_from"):
            value = getattr(self, name)
            if not isinstance(value, str) or not VERSION.fullmatch(value):
                raise BundleError(f"the manifest's {name} is not a version: {value!r}")
        if not isinstance(self.files, dict) or not self.files:
            raise BundleError("the manifest lists no files")
        for name, digest in self.files.items():
            if not WHEEL.fullmatch(name) or not re.fullmatch(r"[0-9a-f]{64}", str(digest)):
                raise BundleError(f"the manifest lists {name!r}, which is not a wheel with a hash")


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def numeric_version(version: str) -> tuple[int, ...]:
    """The leading numbers of a version (0+unknown, from an uninstalled checkout, is 0)."""
    found = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in found.group().split(".")) if found else (0,)


def key_id(public: Ed25519PublicKey) -> str:
    """Names a signing key: the start of the SHA-256 of its raw public key."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(manifest: bytes, private: Ed25519PrivateKey) -> bytes:
    signature = base64.b64encode(private.sign(manifest)).decode()
    return json.dumps({"key_id": key_id(private.public_key()), "ed25519": signature}).encode()


def write_bundle(
    out: IO[bytes], manifest: Manifest, private: Ed25519PrivateKey, wheels: Iterable[Path]
) -> None:
    """The bundle of `wheels` (whose hashes `manifest` lists) into `out`."""
    encoded = manifest.encode()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, MANIFEST, encoded)
        _add(tar, SIGNATURE, sign(encoded, private))
        for wheel in wheels:
            info = tar.gettarinfo(str(wheel), arcname=f"wheels/{wheel.name}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o644
            with wheel.open("rb") as data:
                tar.addfile(info, data)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


@dataclass(frozen=True)
class Verified:
    manifest: Manifest
    key_id: str


def verify_bundle(path: Path, trusted: Iterable[Ed25519PublicKey]) -> Verified:
    """Check `path` whole: signed by one of `trusted`, every wheel present, whole and as
    the manifest says, nothing else in it. Returns the manifest and the signing key's id."""
    keys = {key_id(key): key for key in trusted}
    try:
        size = os.stat(path).st_size
        with tarfile.open(path, mode="r:") as tar:
            return _verify(tar, keys, size)
    except tarfile.ReadError as exc:
        raise BundleError(f"not a firmware bundle (a tar file): {exc}") from None
    except (OSError, EOFError) as exc:
        raise BundleError(f"cannot read the bundle: {exc}") from None


def _verify(tar: tarfile.TarFile, keys: dict[str, Ed25519PublicKey], size: int) -> Verified:
    manifest_data = signature_data = None
    digests: dict[str, str] = {}
    seen: set[str] = set()
    for member in tar:
        if not member.isfile():
            raise BundleError(f"the bundle holds {member.name!r}, which is not a regular file")
        if member.name in seen:
            raise BundleError(f"the bundle holds {member.name!r} twice")
        seen.add(member.name)
        if member.offset_data + member.size > size:
            raise BundleError(f"the bundle is truncated (in {member.name})")
        if member.name in (MANIFEST, SIGNATURE):
            if member.size > MAX_MANIFEST:
                raise BundleError(f"{member.name} is larger than {MAX_MANIFEST} bytes")
            data = _read(tar, member)
            if member.name == MANIFEST:
                manifest_data = data
            else:
                signature_data = data
        elif WHEEL.fullmatch(member.name) and member.size <= MAX_WHEEL:
            digests[member.name] = _digest(tar, member)
        else:
            raise BundleError(f"the bundle holds {member.name!r}, which no bundle has")
    if manifest_data is None:
        raise BundleError("the bundle has no manifest")
    if signature_data is None:
        raise BundleError("the bundle is not signed (no manifest.sig)")
    signer = _check_signature(manifest_data, signature_data, keys)
    manifest = Manifest.decode(manifest_data)
    for name, digest in manifest.files.items():
        if name not in digests:
            raise BundleError(f"{name} is missing from the bundle")
        if digests[name] != digest:
            raise BundleError(f"{name} does not match its SHA-256 in the manifest")
    unlisted = sorted(set(digests) - set(manifest.files))
    if unlisted:
        raise BundleError(f"{unlisted[0]} is in the bundle but not in the manifest")
    return Verified(manifest, signer)


def _check_signature(manifest: bytes, signature: bytes, keys: dict[str, Ed25519PublicKey]) -> str:
    try:
        fields = json.loads(signature)
        signer, raw = str(fields["key_id"]), base64.b64decode(fields["ed25519"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise BundleError("manifest.sig is not a signature") from None
    key = keys.get(signer)
    if key is None:
        raise BundleError(f"signed by key {signer}, which is not a trusted firmware key")
    try:
        key.verify(raw, manifest)
    except InvalidSignature:
        raise BundleError(f"the signature by key {signer} does not match the manifest") from None
    return signer


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = tar.extractfile(member)
    assert stream is not None
    data = stream.read(member.size + 1)
    if len(data) != member.size:
        raise BundleError(f"{member.name} is truncated")
    return data


def _digest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    stream = tar.extractfile(member)
    assert stream is not None
    digest, left = hashlib.sha256(), member.size
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            raise BundleError(f"{member.name} is truncated")
        digest.update(chunk)
        left -= len(chunk)
    return digest.hexdigest()


def extract_wheels(path: Path, manifest: Manifest, out: Path) -> list[Path]:
    """The manifest's wheels written into `out` (which must exist), each hashed again as it
    is written: a bundle changed since it was verified is refused, not installed."""
    written = []
    try:
        with tarfile.open(path, mode="r:") as tar:
            for name, expected in sorted(manifest.files.items()):
                stream = tar.extractfile(tar.getmember(name))
                if stream is None:
                    raise BundleError(f"{name} is not a regular file")
                target = out / name.removeprefix("wheels/")
                digest = hashlib.sha256()
                with target.open("xb") as copy:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        copy.write(chunk)
                if digest.hexdigest() != expected:
                    raise BundleError(f"{name} changed since the bundle was verified")
                written.append(target)
    except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
        raise BundleError(f"cannot read the bundle: {exc}") from None
    return written
