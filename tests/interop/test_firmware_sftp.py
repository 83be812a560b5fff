"""A bundle uploaded with OpenSSH's sftp into the appliance's upload area, then installed
over ssh with `firmware install NAME`: the appliance restarts into slot b. Only admins may
upload, and the area's size is limited."""

import re
import subprocess
from pathlib import Path

from firmware import __version__
from tests.scenarios.appliance import Booted, write_config
from tests.scenarios.firmware_bundles import build, bumped, release_key, trust
from tests.tools import free_port, require, ssh_run

PASSWORD = "upload-admin-pass-1"
NO_CHECKS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
LIMIT = 16 << 20


def sftp(port: int, user: str, password: str, commands: str) -> subprocess.CompletedProcess[str]:
    """sftp reading its commands from stdin (not -b: batch mode allows no password)."""
    return subprocess.run(
        [require("sshpass"), "-p", password, require("sftp"), "-P", str(port), *NO_CHECKS,
         f"{user}@127.0.0.1"], input=commands, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def ssh(port: int, *command: str) -> subprocess.CompletedProcess[str]:
    return ssh_run(port, PASSWORD, *command)


def test_upload_by_sftp_then_install_over_ssh(tmp_path: Path) -> None:
    key, _ = release_key(tmp_path)
    newer = bumped(__version__)
    bundle = build(key, tmp_path / f"timeserver-{newer}.bundle", newer)
    port = free_port()
    config = write_config(
        tmp_path / "config.toml",
        f'[services.ssh]\nport = {port}\nbind = ["127.0.0.1"]\n'
        f"[firmware]\ntrial_seconds = 3\nupload_max_bytes = {LIMIT}\n",
    )
    data = tmp_path / "data"
    data.mkdir()
    trust(data, key)
    box = Booted(data, config, password=PASSWORD)
    box.wait_event("appliance.ready")

    added = ssh(port, "users", "add", "watcher", "monitor")
    watcher_password = re.search(r"password (\S+)", added.stdout)
    assert watcher_password, added.stdout
    refused = sftp(port, "watcher", watcher_password.group(1), f"put {bundle}\n")
    assert "only admins may upload" in refused.stderr, refused.stderr
    assert list((data / "upload").iterdir()) == []

    put = sftp(port, "admin", PASSWORD, f"put {bundle}\nls -l\n")
    assert bundle.name in put.stdout, put.stderr
    assert (data / "upload" / bundle.name).read_bytes() == bundle.read_bytes()
    assert f"admin uploaded {bundle.name}" in str(box.wait_event("ssh.upload")["message"])

    filler = tmp_path / "filler.bin"
    filler.write_bytes(b"\0" * (LIMIT - bundle.stat().st_size + 1))
    over = sftp(port, "admin", PASSWORD, f"put {filler}\n")
    assert 'write remote "/filler.bin": Failure' in over.stderr, (
        over.stderr
    )  # SFTP v3: no quota code
    total = sum(path.stat().st_size for path in (data / "upload").iterdir())
    assert total <= LIMIT

    installed = ssh(port, "firmware", "install", bundle.name)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert f"firmware {newer} signed by key" in installed.stdout
    assert "installing into slot b" in installed.stdout
    box.wait_event("appliance.ready", count=2, seconds=90)
    assert f"firmware {newer} from slot b" in box.stdout()
    shown = ssh(port, "firmware", "status")
    assert f"running: firmware {newer} from slot b" in shown.stdout, shown.stdout
    audit = [line for line in (data / "audit.log").read_text().splitlines() if "firmware" in line]
    assert len(audit) == 1 and '"who": "admin"' in audit[0]
    assert box.stop(seconds=10)[0] == 0
