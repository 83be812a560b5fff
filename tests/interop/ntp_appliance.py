"""A booted appliance serving NTP on loopback for the interop tests, and helpers."""

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.scenarios.appliance import Booted, timeserver, write_config
from tests.tools import require

KEY_TYPES = {"AES128CMAC": "AES128", "SHA1": "SHA1", "MD5": "MD5"}


def ntp_config(port: int, extra: str = "") -> str:
    return (
        "[timing]\nlock_samples = 3\n"
        f'[services.ntp]\nport = {port}\nbind = ["127.0.0.1", "::1"]\n{extra}'
    )


def boot_locked(directory: Path, config_text: str) -> Booted:
    booted = Booted(directory / "data", write_config(directory / "config.toml", config_text))
    booted.wait_event("timing.locked", seconds=30)
    time.sleep(0.5)  # the workers take the new sync state at their next housekeeping
    return booted


def status_tree(booted: Booted) -> dict[str, Any]:
    """`timeserver status --json` of the booted appliance."""
    raw = timeserver("status", "--data-dir", str(booted.data_dir), "--json")
    assert raw.returncode == 0, raw.stderr
    return json.loads(raw.stdout)  # type: ignore[no-any-return]


def ntp_status(booted: Booted) -> dict[str, Any]:
    """The NTP service's part of `timeserver status --json`."""
    return status_tree(booted)["ntp"]  # type: ignore[no-any-return]


def appliance_keys(data_dir: Path) -> dict[str, tuple[int, str]]:
    """Key type -> (id, hex) from the appliance's first-boot ntp.keys."""
    keys = {}
    for line in (data_dir / "ntp.keys").read_text().splitlines():
        if line and not line.startswith("#"):
            key_id, kind, secret = line.split()
            keys[kind] = (int(key_id), secret)
    return keys


def chrony_keyfile(entries: list[tuple[int, str, str]]) -> Path:
    """A key file chronyd can read after it drops root (world-readable, in its own dir)."""
    directory = Path(tempfile.mkdtemp(prefix="chrony-keys-"))
    os.chmod(directory, 0o755)
    path = directory / "chrony.keys"
    path.write_text("".join(f"{i} {KEY_TYPES[k]} HEX:{s}\n" for i, k, s in entries))
    os.chmod(path, 0o644)
    return path


def chronyd_offset(port: int, keyfile: Path | None, key_id: int | None) -> float | None:
    """chronyd -Q as a one-shot client: the offset it measured, or None with no usable source."""
    chronyd = require("chronyd")
    directives = []
    if keyfile is not None:
        directives.append(f"keyfile {keyfile}")
    key = f" key {key_id}" if key_id is not None else ""
    directives.append(
        f"server 127.0.0.1 port {port} iburst{key} minpoll -4 maxpoll -4 maxsamples 6"
    )
    result = subprocess.run(
        [chronyd, "-Q", "-t", "12", *directives], capture_output=True, text=True, timeout=30
    )
    output = result.stdout + result.stderr
    found = re.search(r"System clock wrong by (-?[0-9.]+) seconds", output)
    if found:
        return float(found.group(1))
    assert "No suitable source" in output or "no selectable sources" in output.lower(), output
    return None
