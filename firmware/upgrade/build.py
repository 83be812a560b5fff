"""Release engineering: a signed bundle of the checkout this runs from, with the wheel of
every pinned dependency, built by pip (so installing it needs no network)."""

from __future__ import annotations

import datetime
import hashlib
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware.upgrade.bundle import BundleError, Manifest, write_bundle

PROJECT_WHEEL = "timeserver-"


def running_platform() -> tuple[str, str]:
    """(Python ABI, platform) of this interpreter: cp311, linux-x86_64."""
    return f"cp{sys.version_info.major}{sys.version_info.minor}", sysconfig.get_platform()


def build_bundle(
    source: Path, key: Ed25519PrivateKey, out: Path, min_upgrade_from: str, now: datetime.datetime
) -> Manifest:
    with tempfile.TemporaryDirectory(prefix="timeserver-bundle-") as scratch:
        wheels_dir = Path(scratch) / "wheels"
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
             "--wheel-dir", str(wheels_dir), str(source)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise BundleError(f"pip could not build the wheels: {last}")
        wheels = sorted(wheels_dir.glob("*.whl"))
        ours = [wheel for wheel in wheels if wheel.name.startswith(PROJECT_WHEEL)]
        if not ours:
            raise BundleError(f"pip built no {PROJECT_WHEEL}*.whl from {source}")
        abi, platform = running_platform()
        # The version of the checkout bundled (--source), which need not be the one running.
        version = ours[0].name.split("-")[1]
        manifest = Manifest(
            version, min_upgrade_from, abi, platform,
            {f"wheels/{wheel.name}": _sha256(wheel) for wheel in wheels},
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )  # fmt: skip
        manifest.check()
        partial = out.with_name(f".{out.name}.partial")
        with partial.open("wb") as stream:
            write_bundle(stream, manifest, key, wheels)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, out)
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
