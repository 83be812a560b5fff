"""A bundle is used only whole, as signed: every way one can be damaged or forged is
refused with one line saying why."""

import hashlib
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware.upgrade.bundle import (
    BundleError,
    Manifest,
    key_id,
    sign,
    verify_bundle,
    write_bundle,
)
from firmware.upgrade.keys import load_private, load_public, make_key, trusted_keys

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def wheels(directory: Path) -> list[Path]:
    made = []
    for name, body in (("timeserver-0.2.0-cp311-cp311-linux_x86_64.whl", b"ours" * 1000),
                       ("pyserial-3.5-py2.py3-none-any.whl", b"theirs")):  # fmt: skip
        path = directory / name
        path.write_bytes(body)
        made.append(path)
    return made


def manifest_of(files: list[Path], **changes: object) -> Manifest:
    fields: dict[str, object] = {
        "firmware_version": "0.2.0", "min_upgrade_from": "0.1.0", "python_abi": "cp311",
        "platform": "linux-x86_64", "built_at": "2026-11-28T07:00:00Z",
        "files": {f"wheels/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
    }  # fmt: skip
    fields.update(changes)
    return Manifest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    files = wheels(tmp_path)
    path = tmp_path / "firmware.bundle"
    with path.open("wb") as out:
        write_bundle(out, manifest_of(files), KEY, files)
    return path


def test_a_good_bundle_is_verified_and_names_its_key(bundle: Path) -> None:
    verified = verify_bundle(bundle, [OTHER.public_key(), KEY.public_key()])
    assert verified.key_id == key_id(KEY.public_key())
    assert verified.manifest.firmware_version == "0.2.0"
    assert len(verified.manifest.files) == 2


def rewrite(path: Path, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> None:
    """The bundle with its members changed by `change` (name -> bytes, in order)."""
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    members = change(members)
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


OURS = "wheels/timeserver-0.2.0-cp311-cp311-linux_x86_64.whl"


def resigned(
    members: dict[str, bytes], manifest: bytes, key: Ed25519PrivateKey
) -> dict[str, bytes]:
    return {**members, "manifest.json": manifest, "manifest.sig": sign(manifest, key)}


CASES: list[tuple[str, Callable[[dict[str, bytes]], dict[str, bytes]], str]] = [
    ("unsigned", lambda m: {k: v for k, v in m.items() if k != "manifest.sig"},
     "the bundle is not signed (no manifest.sig)"),
    ("unknown key", lambda m: resigned(m, m["manifest.json"], OTHER),
     f"signed by key {key_id(OTHER.public_key())}, which is not a trusted firmware key"),
    ("manifest changed after signing",
     lambda m: {**m, "manifest.json": m["manifest.json"].replace(b"0.1.0", b"0.0.1")},
     "does not match the manifest"),
    ("wheel changed", lambda m: {**m, OURS: m[OURS][:-1] + b"X"},
     f"{OURS} does not match its SHA-256 in the manifest"),
    ("wheel missing", lambda m: {k: v for k, v in m.items() if k != OURS},
     f"{OURS} is missing from the bundle"),
    ("wheel added", lambda m: {**m, "wheels/evil-1.0-py3-none-any.whl": b"x"},
     "wheels/evil-1.0-py3-none-any.whl is in the bundle but not in the manifest"),
    ("path outside", lambda m: {**m, "../../etc/cron.d/x": b"x"},
     "the bundle holds '../../etc/cron.d/x', which no bundle has"),
    ("no manifest", lambda m: {k: v for k, v in m.items() if k != "manifest.json"},
     "the bundle has no manifest"),
    ("bad signature file", lambda m: {**m, "manifest.sig": b"{}"},
     "manifest.sig is not a signature"),
    ("wrong format",
     lambda m: resigned(m, m["manifest.json"].replace(b'"format": 1', b'"format": 2'), KEY),
     "bundle format 2; this firmware reads 1"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "reason"), CASES, ids=[c[0] for c in CASES])
def test_a_damaged_or_forged_bundle_is_refused(
    bundle: Path, case: str, change: Callable[[dict[str, bytes]], dict[str, bytes]], reason: str
) -> None:
    rewrite(bundle, change)
    with pytest.raises(BundleError) as refused:
        verify_bundle(bundle, [KEY.public_key()])
    assert reason in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize("keep", [10, 700, 3000])
def test_a_truncated_bundle_is_refused(bundle: Path, keep: int) -> None:
    data = bundle.read_bytes()
    bundle.write_bytes(data[:keep])
    with pytest.raises(BundleError, match="truncated|not a firmware bundle|no manifest"):
        verify_bundle(bundle, [KEY.public_key()])


def test_a_link_in_the_bundle_is_refused(bundle: Path) -> None:
    with tarfile.open(bundle, "a") as tar:
        link = tarfile.TarInfo("wheels/link.whl")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tar.addfile(link)
    with pytest.raises(BundleError, match="'wheels/link.whl', which is not a regular file"):
        verify_bundle(bundle, [KEY.public_key()])


def test_keys_are_made_once_and_trusted_from_the_data_directory(tmp_path: Path) -> None:
    key_file = tmp_path / "signing.key"
    made = make_key(key_file)
    assert key_file.stat().st_mode & 0o077 == 0
    assert key_id(load_private(key_file).public_key()) == made
    assert key_id(load_public(tmp_path / "signing.key.pub")) == made
    with pytest.raises(BundleError, match="never overwritten"):
        make_key(key_file)
    trusted = tmp_path / "data" / "firmware-keys"
    trusted.mkdir(parents=True)
    (trusted / "release-2026.pub").write_bytes((tmp_path / "signing.key.pub").read_bytes())
    assert [key_id(k) for k in trusted_keys(tmp_path / "data")] == [made]
    (trusted / "broken.pub").write_text("not a key\n")
    with pytest.raises(BundleError, match="broken.pub is not a PEM public key"):
        trusted_keys(tmp_path / "data")
