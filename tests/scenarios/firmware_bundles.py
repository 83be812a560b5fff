"""Bundles for the firmware tests, made the way release engineering makes them: a copy of
this checkout (with a bumped version, or a fault built in) bundled by `timeserver firmware
build`, signed by a key made for the test."""

import re
import shutil
import subprocess
from pathlib import Path

from tests.scenarios.appliance import ROOT, timeserver

BROKEN_NTP = (
    "services/ntp/service.py",
    "    async def start(self) -> None:\n",
    "    async def start(self) -> None:\n"
    "        raise RuntimeError('this firmware is broken on purpose')\n",
)
"""A firmware whose NTP service never starts: it fails its health check."""


def release_key(directory: Path) -> tuple[Path, str]:
    """A signing key made by `timeserver firmware keygen`, and its key id."""
    key = directory / "release.key"
    made = timeserver("firmware", "keygen", "--out", str(key))
    assert made.returncode == 0, made.stderr
    return key, made.stdout.split()[2]


def trust(data_dir: Path, key: Path) -> None:
    (data_dir / "firmware-keys").mkdir(parents=True, exist_ok=True)
    shutil.copy(f"{key}.pub", data_dir / "firmware-keys" / "release.pub")


def checkout_copy(out: Path, version: str, fault: tuple[str, str, str] | None = None) -> Path:
    """The files of this checkout (as they are now, new files too) with `version` in
    pyproject.toml, and `fault` (file, text, replacement) applied."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
        text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in listed:
        if (ROOT / name).is_file() and not name.startswith("tests/"):
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, out / name)
    project = out / "pyproject.toml"
    text, count = re.subn(r'(?m)^version = ".*"$', f'version = "{version}"', project.read_text())
    assert count == 1
    project.write_text(text)
    if fault is not None:
        path, old, new = fault
        code = (out / path).read_text()
        assert old in code
        (out / path).write_text(code.replace(old, new, 1))
    return out


def build(key: Path, out: Path, version: str, fault: tuple[str, str, str] | None = None) -> Path:
    source = checkout_copy(out.parent / f"{out.name}.src", version, fault)
    built = timeserver("firmware", "build", "--key", str(key), "--out", str(out),
                       "--source", str(source))  # fmt: skip
    assert built.returncode == 0, built.stderr
    shutil.rmtree(source)
    return out


def bumped(version: str) -> str:
    """A version newer than `version`: its last number plus one."""
    parts = re.findall(r"\d+", version) or ["0"]
    return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
