"""Notifications reach net-snmp's snmptrapd, which logs only what its SNMPv3 user sends
with authentication and privacy (informs): the sync state change when the simulated
receiver loses its satellites, and a failed SSH login with the user and source address."""

import subprocess
from collections.abc import Iterator

import pytest

from services.snmp.notifications import SNMP_TRAP_OID
from services.snmp.objects import ENTERPRISE
from tests.interop.netsnmp import SnmpUser, TrapReceiver
from tests.scenarios.appliance import Booted, write_config
from tests.tools import free_port, require, ssh_run

PASSWORD = "traps-admin-pass-1"
USER = SnmpUser()
OURS = ".".join(str(n) for n in ENTERPRISE)
TRAP_OID = "." + ".".join(str(n) for n in SNMP_TRAP_OID)


class Box:
    def __init__(self, booted: Booted, ssh_port: int, trapd: TrapReceiver) -> None:
        self.booted, self.ssh_port, self.trapd = booted, ssh_port, trapd

    def ssh(self, password: str, *command: str) -> subprocess.CompletedProcess[str]:
        return ssh_run(self.ssh_port, password, *command)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    require("snmpd")
    directory = tmp_path_factory.mktemp("traps")
    trapd = TrapReceiver(directory / "trapd", free_port(), USER)
    ssh_port = free_port()
    config = write_config(
        directory / "config.toml",
        f'[services.ssh]\nport = {ssh_port}\nbind = ["127.0.0.1"]\n'
        f'[services.snmp]\nenabled = true\nport = {free_port()}\nbind = ["127.0.0.1"]\n'
        + USER.toml()
        + f'[[services.snmp.traps]]\naddress = "127.0.0.1"\nport = {trapd.port}\n'
        f'user = "{USER.name}"\n',
    )
    booted = Booted(directory / "data", config, password=PASSWORD)
    try:
        booted.wait_event("appliance.ready")
        booted.wait_event("snmp.subagent_registered")
        yield Box(booted, ssh_port, trapd)
    finally:
        booted.stop()
        trapd.stop()


def notification(received: str, oid: str) -> str:
    """The last notification (snmptrapd's line of varbinds) whose snmpTrapOID is `oid`."""
    found = [line for line in received.splitlines()
             if f"{TRAP_OID} = OID: .{oid}\t" in line + "\t"]  # fmt: skip
    assert found, received
    return found[-1]


def test_losing_the_satellites_sends_the_sync_state_change(box: Box) -> None:
    box.booted.wait_event("timing.locked")
    result = box.ssh(PASSWORD, "gps", "inject", "satellites_lost")
    assert result.returncode == 0, result.stderr
    box.booted.wait_event("timing.holdover", seconds=60)
    received = box.trapd.wait_for(f"OID: .{OURS}.0.1", seconds=30)
    ours = notification(received, f"{OURS}.0.1")
    assert f".{OURS}.1.5.1.0 = INTEGER: 2" in ours  # from locked
    assert f".{OURS}.1.5.2.0 = INTEGER: 3" in ours  # to holdover
    mode = notification(received, "1.3.6.1.2.1.197.0.1")  # ntpEntNotifModeChange
    assert ".1.3.6.1.2.1.197.1.2.1.0 = INTEGER: 4" in mode  # syncToLocal


def test_a_wrong_ssh_password_sends_the_failed_login(box: Box) -> None:
    result = box.ssh("not-the-password", "status")
    assert result.returncode != 0
    received = box.trapd.wait_for(f"OID: .{OURS}.0.2")
    failed = notification(received, f"{OURS}.0.2")
    assert f'.{OURS}.1.5.3.0 = STRING: "admin"' in failed
    assert f'.{OURS}.1.5.4.0 = STRING: "127.0.0.1' in failed
    assert "not-the-password" not in box.trapd.received()


def test_snmp_traps_test_reaches_the_receiver(box: Box) -> None:
    result = box.ssh(PASSWORD, "snmp", "traps", "test")
    assert result.returncode == 0 and "for 1 targets" in result.stdout, result.stderr
    received = box.trapd.wait_for(f"OID: .{OURS}.0.8")
    assert f'.{OURS}.1.5.3.0 = STRING: "admin"' in notification(received, f"{OURS}.0.8")
