"""Commit confirmed through OpenSSH: disabling SSH (or moving it) from an SSH session is
refused with the reason, a commit confirmed with a few seconds' timeout rolls back by itself
and SSH comes back on its old settings; confirmed from a new session, the change stays."""

import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.interop.rsyslog import Rsyslog, start_rsyslog
from tests.interop.test_ssh import NO_CHECKS, PASSWORD, Box, boot
from tests.scenarios.appliance import Booted, timeserver
from tests.tools import free_port, require


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    collector = start_rsyslog(tmp_path / "rsyslog")
    yield collector
    collector.stop()


def shell(port: int) -> pexpect.spawn:
    """An interactive SSH session, logged in, at the prompt."""
    child = pexpect.spawn(
        require("ssh"), ["-tt", "-p", str(port), *NO_CHECKS, "-o", "PubkeyAuthentication=no",
                         "admin@127.0.0.1"], timeout=20, encoding="utf-8",
    )  # fmt: skip
    child.expect("[Pp]assword:")
    child.sendline(PASSWORD)
    child.expect("admin@.*> ")
    return child


def ssh_section(booted: Booted) -> dict[str, object]:
    section: dict[str, object] = tomllib.loads(booted.config.read_text())["services"]["ssh"]
    return section


def refused_then_committed(child: pexpect.spawn, change: str, seconds: int) -> None:
    child.sendline(f"config set {change}")
    child.expect("staged")
    child.sendline("config commit")
    child.expect("refused, nothing changed: this change would cut off this session")
    child.expect("config commit confirmed")
    child.expect("> ")
    child.sendline(f"config commit confirmed {seconds}")
    child.expect("rolls back at")
    child.expect("> ")


def test_disabled_ssh_comes_back_by_itself(tmp_path: Path, rsyslog: Rsyslog) -> None:
    booted, port = boot(tmp_path, rsyslog, PASSWORD)
    box = Box(booted, port, rsyslog)
    child = shell(port)
    try:
        refused_then_committed(child, "services.ssh.enabled false", 3)
        assert ssh_section(booted)["enabled"] is False
        booted.wait_event("config.reloaded")  # SSH stopped: nobody gets in now
        assert box.ssh("admin", PASSWORD, "status").returncode == 255
    finally:
        child.close()
    rolled = booted.wait_event("config.rolled_back", seconds=30)
    assert "SSH would be disabled" in str(rolled["message"])
    booted.wait_event("config.reloaded", count=2)
    assert ssh_section(booted).get("enabled", True) is True
    status = box.ssh("admin", PASSWORD, "status")
    assert status.returncode == 0 and "commit      confirmed" not in status.stdout
    assert "ssh       running" in status.stdout
    rsyslog.wait_for("tcp", "config rolled back: the commit confirmed by admin from 127.0.0.1")
    audit = box.ssh("admin", PASSWORD, "log", "tail", "--audit", "1").stdout
    assert "rollback from unconfirmed commit by admin" in audit and "false -> true" in audit


def test_a_new_session_confirms_a_moved_port(tmp_path: Path) -> None:
    booted, port = boot(tmp_path, None, PASSWORD)
    moved = free_port()
    child = shell(port)
    try:
        refused_then_committed(child, f"services.ssh.port {moved}", 12)
        deadline = time.monotonic() + 12
        booted.wait_event("config.reloaded")
        shown = timeserver("status", "--data-dir", str(booted.data_dir)).stdout
        assert "commit      confirmed by admin from 127.0.0.1 rolls back at" in shown
        child.sendline("config confirm")  # the old session still runs, but proves nothing
        child.expect("confirm it from a new session")
        confirmed = Box(booted, moved, None).ssh("admin", PASSWORD, "config", "confirm")
        assert confirmed.stdout.startswith("confirmed: the commit of admin from 127.0.0.1"), (
            confirmed.stdout + confirmed.stderr
        )
    finally:
        child.close()
    booted.wait_event("config.confirmed")
    time.sleep(max(0.0, deadline - time.monotonic()) + 2)  # past the deadline: nothing rolls back
    assert not [e for e in booted.events() if e["kind"] == "config.rolled_back"]
    assert ssh_section(booted)["port"] == moved
    assert not (booted.data_dir / "rollback.toml").exists()
    whoami = Box(booted, moved, None).ssh("admin", PASSWORD, "whoami")
    assert whoami.stdout.strip() == "admin (admin)"
    refused = subprocess.run(
        [require("ssh"), "-p", str(port), *NO_CHECKS, "-o", "BatchMode=yes", "admin@127.0.0.1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert refused.returncode == 255 and "refused" in refused.stderr


def test_a_restart_before_the_confirmation_rolls_back(tmp_path: Path) -> None:
    booted, port = boot(tmp_path, None, PASSWORD)
    child = shell(port)
    try:
        refused_then_committed(child, f"services.ssh.port {free_port()}", 600)
        booted.wait_event("config.reloaded")
    finally:
        child.close()
    booted.stop()
    assert (booted.data_dir / "rollback.toml").exists()
    again = Booted(booted.data_dir, booted.config)
    again.wait_event("appliance.ready")
    rolled = again.wait_event("config.rolled_back")
    assert "restarted before it was confirmed" in str(rolled["message"])
    assert ssh_section(again)["port"] == port
    assert not (again.data_dir / "rollback.toml").exists()
    whoami = Box(again, port, None).ssh("admin", PASSWORD, "whoami")
    assert whoami.stdout.strip() == "admin (admin)", whoami.stderr
