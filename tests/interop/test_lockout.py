"""Lockout as a network engineer meets it, with OpenSSH and the console pty: failures over the
network lock the source, never the serial console; failures on the console lock the console
for a while and say so there, and SSH still works; an unknown public key is a failed login."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from tests.interop.test_ssh import NO_CHECKS, PASSWORD, Box, boot
from tests.tools import require


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    booted, port = boot(tmp_path, None, PASSWORD)
    yield Box(booted, port, None)  # type: ignore[arg-type]
    booted.stop()


class Console:
    def __init__(self, link: Path) -> None:
        self.port = serial.serial_for_url(str(link), baudrate=9600, timeout=10)

    def expect(self, text: bytes) -> bytes:
        seen = self.port.read_until(text)
        assert seen.endswith(text), seen
        return seen

    def login(self, password: str) -> bytes:
        self.port.write(b"admin\r")
        self.expect(b"Password: ")
        self.port.write(password.encode() + b"\r")
        return self.expect(b"login: " if password != PASSWORD else b"> ")


def test_six_bad_ssh_passwords_leave_the_console_open(box: Box) -> None:
    for attempt in range(6):
        assert box.ssh("admin", f"wrong password {attempt}", "status").returncode != 0
    assert box.ssh("admin", PASSWORD, "status").returncode != 0, "the source is locked"
    box.booted.wait_event("login.lockout", count=2)
    console = Console(box.booted.data_dir / "links" / "console")
    try:
        console.port.write(b"\r")
        console.expect(b"login: ")
        console.login(PASSWORD)
        console.port.write(b"whoami\r")
        assert b"admin (admin)" in console.expect(b"> ")
        console.port.write(b"stat\x03")  # Ctrl-C: a fresh prompt on the console too
        console.expect(b"stat^C\r\nadmin@")
    finally:
        console.port.close()


def test_six_bad_console_passwords_lock_the_console_and_it_says_so(box: Box) -> None:
    console = Console(box.booted.data_dir / "links" / "console")
    try:
        console.port.write(b"\r")
        console.expect(b"login: ")
        for attempt in range(5):
            seen = console.login(f"wrong password {attempt}")
        assert b"The console is locked for 60 s more" in seen, seen
        console.port.write(b"admin\r")  # the sixth: refused before the password
        assert b"locked for" in console.expect(b"login: ")
    finally:
        console.port.close()
    result = box.ssh("admin", PASSWORD, "whoami")
    assert result.returncode == 0 and "admin (admin)" in result.stdout, result.stderr
    lockout = box.booted.wait_event("login.lockout")
    assert lockout["message"] == "the console locked for 60 s after 5 failed logins"


def test_an_unknown_public_key_is_a_failed_login_with_its_source(box: Box, tmp_path: Path) -> None:
    authorized = box.booted.data_dir / "authorized_keys"
    authorized.mkdir(exist_ok=True)
    for name in ("known", "stranger"):
        subprocess.run([require("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f",
                        str(tmp_path / name)], check=True)  # fmt: skip
    (authorized / "admin").write_text((tmp_path / "known.pub").read_text())
    result = subprocess.run(
        [require("ssh"), "-p", str(box.port), *NO_CHECKS, "-o", "BatchMode=yes",
         "-o", "IdentitiesOnly=yes", "-i", str(tmp_path / "stranger"), "admin@127.0.0.1",
         "version"], capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode != 0
    failed = box.booted.wait_event("login.failed")
    assert failed["fields"] == {"user": "admin", "source": "127.0.0.1"}
    assert "public key SHA256:" in str(failed["message"])
    known = subprocess.run(
        [require("ssh"), "-p", str(box.port), *NO_CHECKS, "-o", "BatchMode=yes",
         "-o", "IdentitiesOnly=yes", "-i", str(tmp_path / "known"), "admin@127.0.0.1",
         "version"], capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert known.returncode == 0 and known.stdout.startswith("timeserver "), known.stderr
