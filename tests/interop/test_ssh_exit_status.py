"""`ssh admin@host COMMAND` through the real OpenSSH client exits as the command ended: 0 on
success, 1 on a failure or refusal, 2 on a usage error; staged changes are committed in the
same exec with ';', and `services enable telnet` opens no port until the commit."""

import socket
import subprocess
import time
import tomllib
from collections.abc import Iterator

import pytest

from tests.scenarios.appliance import Booted, write_config
from tests.tools import free_port, ssh_run

PASSWORD = "exit-status-pass-1"
COMMENT = "# telnet for the lab bench only; ask before enabling it"


class Box:
    def __init__(self, booted: Booted, port: int, telnet_port: int) -> None:
        self.booted = booted
        self.port = port
        self.telnet_port = telnet_port

    def ssh(self, *command: str) -> subprocess.CompletedProcess[str]:
        return ssh_run(self.port, PASSWORD, *command)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    """A fresh appliance: nothing hardened yet, so its audit fails."""
    directory = tmp_path_factory.mktemp("exit")
    port, telnet_port = free_port(), free_port()
    config = write_config(
        directory / "config.toml",
        f'[services.ssh]\nport = {port}\nbind = ["127.0.0.1"]\n'
        f"{COMMENT}\n"
        f'[services.telnet]\nport = {telnet_port}\nbind = ["127.0.0.1"]  # loopback only\n',
    )
    booted = Booted(directory / "data", config, password=PASSWORD)
    booted.wait_event("appliance.ready")
    yield Box(booted, port, telnet_port)
    booted.stop()


@pytest.mark.parametrize(
    ("command", "status"),
    [
        (["status"], 0),
        (["audit"], 1),
        (["config", "set"], 2),
        (["frobnicate"], 2),
        (["config", "set", "services.ntp.port", "99999"], 1),
        (["config", "set", "services.ntp.prot", "1123"], 1),
        (["services", "enable", "nosuch"], 1),
        (["ntp", "keys", "add"], 2),
    ],
)
def test_the_exit_status_says_how_the_command_ended(
    box: Box, command: list[str], status: int
) -> None:
    result = box.ssh(*command)
    assert result.returncode == status, (command, result.stdout, result.stderr)


def test_a_refusal_says_why_on_stdout(box: Box) -> None:
    result = box.ssh("config", "set", "services.ntp.port", "99999")
    assert result.stdout == (
        "refused, not staged: services.ntp.port: 99999 is out of range 1..65535\n"
    )
    guessed = box.ssh("config", "set", "services.ntp.prot", "1123").stdout
    assert "did you mean services.ntp.port" in guessed


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_services_enable_telnet_opens_nothing_until_committed(box: Box) -> None:
    staged = box.ssh("services", "enable", "telnet")
    assert staged.returncode == 0
    assert staged.stdout == "staged services.telnet.enabled = true; 'config commit' to apply\n"
    on_disk = tomllib.loads(box.booted.config.read_text())
    assert on_disk["services"]["telnet"].get("enabled", False) is False
    assert not listening(box.telnet_port)
    committed = box.ssh("services enable telnet; config commit")
    assert committed.returncode == 0, committed.stdout
    assert committed.stdout.endswith("committed services.telnet.enabled\n")
    written = box.booted.config.read_text()
    assert tomllib.loads(written)["services"]["telnet"]["enabled"]
    assert COMMENT in written and '["127.0.0.1"]  # loopback only\nenabled = true' in written
    deadline = time.monotonic() + 20
    while not listening(box.telnet_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert listening(box.telnet_port)


def test_a_failed_command_stops_the_line(box: Box) -> None:
    result = box.ssh("config set events.keep 0; config commit")
    assert result.returncode == 1 and "committed" not in result.stdout
