"""OpenSSH against the appliance: password and key logins, one command or a terminal, the
forced password change, lockout with the failures at a real rsyslog, modern algorithms."""

import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from firmware.admin.users import UserStore
from tests.interop.ntp_appliance import chrony_keyfile, chronyd_offset
from tests.interop.rsyslog import Rsyslog, start_rsyslog
from tests.scenarios.appliance import Booted, write_config
from tests.tools import free_port, require, ssh_run

PASSWORD = "correct horse battery"
NO_CHECKS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR"]  # fmt: skip


class Box:
    def __init__(self, booted: Booted, port: int, rsyslog: Rsyslog) -> None:
        self.booted = booted
        self.port = port
        self.rsyslog = rsyslog

    def ssh(self, user: str, password: str, *command: str) -> subprocess.CompletedProcess[str]:
        return ssh_run(self.port, password, *command, user=user)


def boot(directory: Path, rsyslog: Rsyslog | None, password: str | None) -> tuple[Booted, int]:
    port = free_port()
    syslog = f'[syslog]\ntargets = ["tcp://127.0.0.1:{rsyslog.tcp_port}"]\n' if rsyslog else ""
    config = write_config(
        directory / "config.toml",
        f'[services.ssh]\nport = {port}\nbind = ["127.0.0.1"]\n[admin]\nlockout_s = 600\n{syslog}',
    )
    booted = Booted(directory / "data", config, password=password)
    booted.wait_event("appliance.ready")
    return booted, port


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    directory = tmp_path_factory.mktemp("ssh")
    rsyslog = start_rsyslog(directory / "rsyslog")
    booted, port = boot(directory, rsyslog, PASSWORD)
    UserStore(directory / "data" / "users.json").create("watcher", "monitor", "watcher-pass-123",
                                                         must_change=False)  # fmt: skip
    yield Box(booted, port, rsyslog)
    booted.stop()
    rsyslog.stop()


def test_one_command_with_a_password(box: Box) -> None:
    result = box.ssh("admin", PASSWORD, "status")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("state       ")
    assert box.ssh("admin", PASSWORD, "frobnicate").returncode == 2


def test_key_login(box: Box, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run([require("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                   check=True)  # fmt: skip
    authorized = box.booted.data_dir / "authorized_keys"
    authorized.mkdir(exist_ok=True)
    (authorized / "admin").write_text(key.with_suffix(".pub").read_text())
    result = subprocess.run(
        [require("ssh"), "-p", str(box.port), *NO_CHECKS, "-o", "BatchMode=yes", "-i", str(key),
         "admin@127.0.0.1", "version"], capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("timeserver ")


def test_interactive_session_with_line_editing(box: Box) -> None:
    child = pexpect.spawn(
        require("ssh"), ["-tt", "-p", str(box.port), *NO_CHECKS, "-o", "PubkeyAuthentication=no",
                         "admin@127.0.0.1"], timeout=15, encoding="utf-8",
    )  # fmt: skip
    try:
        child.expect("[Pp]assword:")
        child.sendline(PASSWORD)
        child.expect("admin@.*> ")
        child.send("verzion\x7f\x7f\x7f\x7fsion\r")  # backspaces edit the line
        child.expect("timeserver 0")
        child.expect("> ")
        child.send("who\t\r")  # Tab completes to whoami
        child.expect(r"admin \(admin\)")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()


def test_a_monitor_is_refused_config_set(box: Box) -> None:
    result = box.ssh("watcher", "watcher-pass-123", "config", "set", "events.keep", "9")
    assert result.returncode == 1 and "permission denied" in result.stdout
    assert box.ssh("watcher", "watcher-pass-123", "services").returncode == 0


def test_faults_injected_from_the_command_line_and_the_panel(box: Box) -> None:
    injected = box.ssh("admin", PASSWORD, "gps", "inject", "antenna_open")
    assert injected.returncode == 0 and "antenna_open" in injected.stdout, injected.stdout
    fault = box.booted.wait_event("gps.antenna_fault")
    assert fault["message"] == "GPS antenna open"
    box.ssh("admin", PASSWORD, "gps", "inject", "locked")
    shown = box.ssh("admin", PASSWORD, "panel", "press", "down")
    assert shown.returncode == 0 and "GPS " in shown.stdout
    assert box.ssh("watcher", "watcher-pass-123", "gps", "inject", "locked").returncode == 1


def test_an_ntp_key_added_over_ssh_is_used_without_a_restart(box: Box) -> None:
    secret = "5a" * 16
    added = box.ssh("admin", PASSWORD, "ntp", "keys", "add", "42", "AES128CMAC", f"HEX:{secret}")
    assert added.returncode == 0, added.stdout
    assert "42 AES128CMAC" in box.ssh("admin", PASSWORD, "ntp", "keys", "list").stdout
    box.booted.wait_event("timing.locked", seconds=30)  # a FREERUN server is no source
    time.sleep(0.5)  # workers reread the keys file and the sync state
    ntp_port = tomllib.loads(box.booted.config.read_text())["services"]["ntp"]["port"]
    offset = chronyd_offset(ntp_port, chrony_keyfile([(42, "AES128CMAC", secret)]), 42)
    assert offset is not None and abs(offset) < 0.001
    assert "ntp" not in [
        e["message"] for e in box.booted.events() if e["kind"] == "service.stopped"
    ]


def test_six_bad_passwords_lock_out_and_reach_rsyslog(box: Box) -> None:
    for attempt in range(6):
        assert box.ssh("admin", f"wrong password {attempt}", "status").returncode != 0
    refused = box.ssh("admin", PASSWORD, "status")
    assert refused.returncode != 0, "the right password worked during the lockout"
    line = box.rsyslog.wait_for("tcp", "failed SSH login for 'admin' from 127.0.0.1")
    assert 'source="127.0.0.1"' in line and line.startswith("<84>1 ")  # authpriv.warning
    box.rsyslog.wait_for("tcp", "locked for 600 s after 5 failed logins")


def test_modern_algorithms_only(box: Box) -> None:
    refused = subprocess.run(
        [require("ssh"), "-p", str(box.port), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
         "-o", "HostKeyAlgorithms=ssh-rsa", "admin@127.0.0.1", "status"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "no matching host key type found" in refused.stderr
    scan = subprocess.run(
        [require("nmap"), "-Pn", "-sV", "-p", str(box.port), "--script", "ssh2-enum-algos",
         "127.0.0.1"],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    assert "server_host_key_algorithms" in scan and "rsa-sha2-512" in scan
    words = scan.replace("|", " ").split()
    assert "ssh-rsa" not in words
    assert not any(word.endswith("-cbc") for word in words)
    assert not any(word.endswith("-sha1") or word == "hmac-sha1" for word in words)


def test_one_time_password_must_be_changed_over_ssh(tmp_path: Path) -> None:
    booted, port = boot(tmp_path, None, None)
    try:
        password = booted.stdout().split("one-time password ")[1].split()[0]
        box = Box(booted, port, None)  # type: ignore[arg-type]
        exec_first = box.ssh("admin", password, "status")
        assert exec_first.returncode == 1 and "must be changed" in exec_first.stderr
        child = pexpect.spawn(
            require("ssh"), ["-tt", "-p", str(port), *NO_CHECKS, "-o", "PubkeyAuthentication=no",
                             "admin@127.0.0.1"], timeout=15, encoding="utf-8",
        )  # fmt: skip
        child.expect("[Pp]assword:")
        child.sendline(password)
        child.expect("New password: ")
        child.sendline("a brand new passphrase")
        child.expect("Retype new password: ")
        child.sendline("a brand new passphrase")
        child.expect("Password changed.")
        child.sendline("exit")
        child.expect(pexpect.EOF)
        assert (
            box.ssh("admin", "a brand new passphrase", "whoami").stdout.strip() == "admin (admin)"
        )
    finally:
        booted.stop()


def test_two_appliances_have_different_host_keys(box: Box, tmp_path: Path) -> None:
    other, port = boot(tmp_path, None, PASSWORD)
    try:
        keys = [
            subprocess.run([require("ssh-keyscan"), "-p", str(p), "-t", "ed25519", "127.0.0.1"],
                           capture_output=True, text=True, timeout=30).stdout.split()[-1]
            for p in (box.port, port)
        ]  # fmt: skip
    finally:
        other.stop()
    assert keys[0] != keys[1]
    assert keys[1] in (other.data_dir / "ssh_host_ed25519_key.pub").read_text()
