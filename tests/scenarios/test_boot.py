"""Booting, stopping and reloading the appliance through its command line."""

import json
import re
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
import serial

from firmware.base.events import EventBus
from firmware.panel.lock import KeypadLock
from hal.clock import HostClock
from services.ntp.keyring import KeyRing
from services.ntp.keys import KeyType
from tests.firmware.panel.keys import pin_keys
from tests.interop.netsnmp import SnmpUser
from tests.interop.rsyslog import Rsyslog, start_rsyslog
from tests.scenarios.appliance import ROOT, Booted, timeserver, write_config


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    server = start_rsyslog(tmp_path / "rsyslog")
    yield server
    server.stop()


def test_boot_prints_login_and_sigterm_exits_0_within_5_s(tmp_path: Path) -> None:
    booted = Booted(tmp_path / "data")
    booted.wait_event("appliance.ready")
    code, seconds = booted.stop()
    assert code == 0 and seconds < 5
    out = booted.stdout()
    assert "one-time password" in out and "must be changed at first login" in out
    password = out.split("one-time password ")[1].split()[0]
    assert password not in booted.stderr()
    assert password not in (tmp_path / "data" / "events.log").read_text()
    assert booted.events()[-1]["kind"] == "appliance.stopped"


def test_second_boot_shows_no_password(tmp_path: Path) -> None:
    first = Booted(tmp_path / "data")
    first.wait_event("appliance.ready")
    first.stop()
    first_password = first.stdout().split("one-time password ")[1].split()[0]
    second = Booted(tmp_path / "data")
    second.wait_event("appliance.ready", count=2)
    assert second.stop()[0] == 0
    assert first_password not in second.stdout()
    assert "one-time password shown at the first boot (not changed yet" in second.stdout()


def test_banner_shows_the_device_name_and_no_ssh_line_while_ssh_is_down(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config = write_config(
        tmp_path / "config.toml",
        f'[device]\nname = "lab-clock-1"\n[services.ssh]\nport = {port}\nbind = ["127.0.0.1"]\n',
    )
    try:
        booted = Booted(tmp_path / "data", config, password="correct horse battery")
        booted.wait_event("appliance.ready")
        assert booted.stop()[0] == 0
    finally:
        taken.close()
    out = booted.stdout()
    assert out.splitlines()[0].split("  ")[1] == "lab-clock-1"
    assert "(not running:" in out and "ssh -p" not in out
    assert "log in with the console above" in out


def test_bad_config_names_its_key_and_nothing_starts(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    write_config(config, '[services.ntp]\nport = 70000\n[gps]\nbackend = "usb"\nspeed = 3\n')
    result = timeserver("boot", "--data-dir", str(tmp_path / "data"), "--config", str(config))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert f"{config}: services.ntp.port: 70000 is out of range 1..65535" in lines
    assert f"{config}: gps.backend: 'usb': input should be 'sim', 'serial' or 'gpsd'" in lines
    assert any(line.startswith(f"{config}: gps.speed: unknown key") for line in lines)
    assert not (tmp_path / "data").exists()


def test_config_validate_and_show(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[syslog]\ntargets = ["udp://127.0.0.1:514"]\n')
    result = timeserver("config", "validate", str(good))
    assert result.returncode == 0 and "valid" in result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[services.ptp]\nenabled = true\n")
    result = timeserver("config", "validate", str(bad))
    assert result.returncode == 2
    assert "services.ptp.interface: '': required when PTP is enabled" in result.stderr
    assert timeserver("config", "validate", str(tmp_path / "none.toml")).returncode == 2
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "config.toml").write_text(good.read_text())
    shown = timeserver("config", "show", "--data-dir", str(tmp_path / "data"))
    assert shown.returncode == 0
    assert tomllib.loads(shown.stdout)["syslog"]["targets"] == ["udp://127.0.0.1:514"]


def test_two_first_boots_have_different_ssh_host_keys(tmp_path: Path) -> None:
    fingerprints = []
    for name in ("one", "two"):
        booted = Booted(tmp_path / name)
        booted.wait_event("appliance.ready")
        assert booted.stop()[0] == 0
        for key in ("ssh_host_ed25519_key.pub", "ssh_host_rsa_key.pub"):
            fingerprints.append(
                subprocess.run(
                    ["ssh-keygen", "-l", "-f", str(tmp_path / name / key)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()[1]
            )
    assert len(set(fingerprints)) == 4


def test_events_of_a_booted_appliance_reach_rsyslog(tmp_path: Path, rsyslog: Rsyslog) -> None:
    config = tmp_path / "config.toml"
    write_config(
        config,
        f'[device]\nname = "lab-gm1"\n[syslog]\ntargets = ["udp://127.0.0.1:{rsyslog.udp_port}", '
        f'"tcp://127.0.0.1:{rsyslog.tcp_port}"]\n',
    )
    booted = Booted(tmp_path / "data", config)
    booted.wait_event("appliance.ready")
    for transport in ("udp", "tcp"):
        line = rsyslog.wait_for(transport, "appliance ready")
        assert " lab-gm1 timeserver " in line
    assert booted.stop()[0] == 0
    rsyslog.wait_for("tcp", "appliance stopping")


def test_sighup_restarts_only_what_changed_and_refuses_bad_config(
    tmp_path: Path, rsyslog: Rsyslog
) -> None:
    config = tmp_path / "config.toml"
    write_config(config, f'[syslog]\ntargets = ["tcp://127.0.0.1:{rsyslog.tcp_port}"]\n')
    booted = Booted(tmp_path / "data", config)
    booted.wait_event("appliance.ready")
    booted.signal(signal.SIGHUP)
    assert booted.wait_event("config.reloaded")["message"] == "config reloaded; restarted: none"
    write_config(config, f'[syslog]\ntargets = ["udp://127.0.0.1:{rsyslog.udp_port}"]\n')
    booted.signal(signal.SIGHUP)
    event = booted.wait_event("config.reloaded", count=2)
    assert event["message"] == "config reloaded; restarted: syslog"
    rsyslog.wait_for("udp", "config reloaded; restarted: syslog")
    audit = [
        json.loads(line) for line in (tmp_path / "data" / "audit.log").read_text().splitlines()
    ]
    assert [(a["who"], a["source"], a["key"]) for a in audit] == [
        ("config file", "SIGHUP", "syslog.targets")
    ]
    assert audit[0]["new"] == [f"udp://127.0.0.1:{rsyslog.udp_port}"]
    write_config(config, "[syslog]\ntargets = 5\n")
    booted.signal(signal.SIGHUP)
    refused = booted.wait_event("config.invalid")
    assert "syslog.targets: 5: input should be a valid list" in str(refused["message"])
    booted.wait_event("config.refused")
    rsyslog.wait_for("udp", "new config refused; running config kept")
    assert booted.stop()[0] == 0


def test_sim_gps_runs_in_the_appliance_and_faults_are_events(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    link = tmp_path / "links" / "gps0"
    device = f'[device]\nlink_dir = "{tmp_path / "links"}"\n'
    write_config(config, f'{device}[gps.sim]\nscenario = "antenna_short"\nlink = "gps0"\n')
    booted = Booted(tmp_path / "data", config)
    booted.wait_event("appliance.ready")
    assert "gps      sim receiver at /dev/pts/" in booted.stdout()
    assert f"(link {link})" in booted.stdout()
    assert link.is_symlink()
    fault = booted.wait_event("gps.antenna_fault")
    assert fault["message"] == "GPS antenna short"
    write_config(config, f'{device}[gps.sim]\nscenario = "locked"\nlink = "gps0"\n')
    booted.signal(signal.SIGHUP)
    assert booted.wait_event("config.reloaded")["message"] == "config reloaded; restarted: gps"
    booted.wait_event("gps.fix_acquired")
    assert booted.stop()[0] == 0
    assert not link.exists()


def open_console(link: Path) -> tuple[serial.Serial, Callable[[bytes], bytes]]:
    """The console pty, and `expect`: read until `text`, which must come within 5 s."""
    port = serial.serial_for_url(str(link), baudrate=9600, timeout=5)

    def expect(text: bytes) -> bytes:
        seen: bytes = port.read_until(text)
        assert seen.endswith(text), seen
        return seen

    return port, expect


def test_console_pty_login_with_the_one_time_password(tmp_path: Path) -> None:
    link = tmp_path / "data" / "links" / "console"
    config = tmp_path / "config.toml"
    write_config(config)
    booted = Booted(tmp_path / "data", config)
    booted.wait_event("appliance.ready")
    assert f"picocom -b 9600 {link}" in booted.stdout()
    password = booted.stdout().split("one-time password ")[1].split()[0]
    port, expect = open_console(link)
    try:
        port.write(b"\r")
        expect(b"login: ")
        port.write(b"admin\r")
        expect(b"Password: ")
        port.write(b"not-the-password\r")
        expect(b"Login incorrect\r\n\r\nlogin: ")
        port.write(b"admin\r")
        expect(b"Password: ")
        port.write(password.encode() + b"\r")
        expect(b"New password: ")
        port.write(b"correct horse battery\r")
        expect(b"Retype new password: ")
        port.write(b"correct horse battery\r")
        prompt = expect(b"> ")
        assert b"Password changed." in prompt
        port.write(b"status\r")
        assert b"gps" in expect(b"> ")
        port.write(b"logout\r")
        expect(b"login: ")
    finally:
        port.close()
    failed = booted.wait_event("login.failed")
    assert failed["fields"] == {"user": "admin", "source": "console"}
    assert booted.stop()[0] == 0


def test_keypad_lockout_through_timeserver_panel_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    write_config(config, "[panel]\nlockout_seconds = 600\n")
    booted = Booted(data, config)
    booted.wait_event("appliance.ready")
    data_dir = ["--data-dir", str(data)]
    shown = timeserver("panel", *data_dir, "--once")
    assert shown.returncode == 0 and "| UTC " in shown.stdout
    lock = KeypadLock(data / "keypad.json", EventBus(HostClock()))
    lock.set_pin("4321", "test")
    lock.lock("test")
    for _ in range(5):
        wrong = ["--press", "enter"] + [arg for key in pin_keys("1111") for arg in ("--press", key)]
        result = timeserver("panel", *data_dir, *wrong)
        assert result.returncode == 0, result.stderr
    assert "Locked out 600 s" in result.stdout or "Locked out 599 s" in result.stdout
    booted.wait_event("keypad.lockout")
    assert booted.stop()[0] == 0
    again = Booted(data, config)
    again.wait_event("appliance.ready", count=2)
    right = ["--press", "enter"]
    result = timeserver("panel", *data_dir, *right)
    assert "Locked out" in result.stdout, "the lockout did not survive the restart"
    assert again.stop()[0] == 0
    remote = [e for e in again.events() if e["kind"] == "keypad.pin_failed"]
    assert len(remote) == 5 and all(e["security"] for e in remote)


def test_timeserver_panel_in_a_terminal_takes_pasted_keys_typed_pins_and_relocks(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    config = write_config(tmp_path / "config.toml", "[panel]\nrelock_seconds = 2\n")
    booted = Booted(data, config)
    booted.wait_event("appliance.ready")
    lock = KeypadLock(data / "keypad.json", EventBus(HostClock()))
    lock.set_pin("4321", "test")
    lock.lock("test")
    child = pexpect.spawn(
        sys.executable, ["-m", "firmware.cli", "panel", "--data-dir", str(data)],
        cwd=str(ROOT), timeout=15,
    )  # fmt: skip
    try:
        child.expect("q quits")
        child.send("\x1b[B\x1b[B")  # two arrows in one read: both count
        child.expect("IP address")
        child.send("4321\r")  # typed digits on the locked keypad start and fill the PIN
        child.expect("Keypad unlocked")
        booted.wait_event("keypad.unlocked")
        child.expect("Keypad locked")  # after 2 s without a key
        relocked = booted.wait_event("keypad.locked")
        assert "without a key" in relocked["message"]
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert booted.stop()[0] == 0


def test_status_command_shows_the_appliance_locked_to_gps(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    write_config(config, "[timing]\nlock_samples = 3\n")
    booted = Booted(tmp_path / "data", config)
    booted.wait_event("timing.locked")
    result = timeserver("status", "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "state       LOCKED (stratum 1, leap indicator 0, refid GPS)"
    assert any(line.startswith("gps         THREE_D fix") for line in lines)
    assert any(re.fullmatch(r"  ntp +running, (native|python) packet path", line) for line in lines)
    raw = timeserver("status", "--data-dir", str(tmp_path / "data"), "--json")
    tree = json.loads(raw.stdout)
    assert tree["timing"]["state"] == "running" and tree["timing"]["sync_state"] == "LOCKED"
    # Just locked (after three good pulses here), the PPS noise is not learned yet: the bound
    # is cautious, tens of microseconds, and shrinks as pulses come in.
    assert tree["timing"]["est_error_ns"] < 100_000
    # The default simulated world is the host clock; served time is judged against it.
    assert any(line.startswith("sim         true error ") for line in lines)
    assert tree["sim"]["offset_ns"] == 0
    assert abs(tree["sim"]["true_error_ns"]) <= tree["timing"]["est_error_ns"]
    assert booted.stop()[0] == 0
    gone = timeserver("status", "--data-dir", str(tmp_path / "data"))
    assert gone.returncode == 2 and "no running appliance" in gone.stderr


def test_timeserver_audit_passes_a_hardened_appliance(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    fresh = Booted(data, password="correct horse battery")
    fresh.wait_event("appliance.ready")
    fresh.stop()
    result = timeserver("audit", "--data-dir", str(data), "--config", str(fresh.config))
    assert result.returncode == 1
    assert "FAIL  remote syslog configured" in result.stdout
    ring = KeyRing(data / "ntp.keys", [])
    ring.add(9, KeyType.AES128CMAC, "HEX:" + "5a" * 16)
    lock = KeypadLock(data / "keypad.json", EventBus(HostClock()))
    lock.set_pin("2468", "test")
    lock.lock("test")
    config = write_config(
        tmp_path / "hardened.toml",
        '[services.ssh]\nport = 2222\nbind = ["127.0.0.1"]\nallow = ["192.0.2.0/24"]\n'
        '[services.https]\nport = 2443\nbind = ["127.0.0.1"]\nallow = ["192.0.2.0/24"]\n'
        '[[services.ntp.rules]]\nnetwork = "0.0.0.0/0"\nrequire_auth = true\n'
        '[syslog]\ntargets = ["tls://logs.example:6514"]\n',
    )
    result = timeserver("audit", "--data-dir", str(data), "--config", str(config))
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    # The base install came from no signed bundle (tests/scenarios/test_firmware_slots.py
    # installs one and passes this too).
    assert failed == ["FAIL  firmware image signed"], result.stdout
    assert "PTP answers only listed networks" in result.stdout
    assert "PASS  TLS 1.2 or newer only" in result.stdout  # HTTPS with the device's key pair
    assert result.stdout.splitlines()[-1] == "9 passed, 1 failed, 1 not applicable"
    assert result.returncode == 1
    # SNMPv3 alone adds no failure; a v2c community does.
    snmp = "[services.snmp]\nenabled = true\n" + SnmpUser().toml()
    v3 = write_config(tmp_path / "v3.toml", config.read_text() + snmp)
    result = timeserver("audit", "--data-dir", str(data), "--config", str(v3))
    assert [line for line in result.stdout.splitlines() if line.startswith("FAIL")] == [
        "FAIL  firmware image signed"
    ]
    v2c = write_config(
        tmp_path / "v2c.toml",
        config.read_text() + snmp.replace("true\n", 'true\nv2c_community = "reader-42"\n', 1),
    )
    result = timeserver("audit", "--data-dir", str(data), "--config", str(v2c))
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == [
        "FAIL  unneeded protocols disabled (telnet, daytime, time, SNMP v1/v2c)",
        "FAIL  firmware image signed",
    ]
    assert "reader-42" not in result.stdout


def test_a_factory_reset_cut_short_is_finished_by_the_next_boot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Booted(data, password="correct horse battery")
    first.wait_event("appliance.ready")
    assert first.stop()[0] == 0
    serial = (data / "serial").read_text()
    (data / "authorized_keys").mkdir()
    (data / "authorized_keys" / "admin").write_text("ssh-ed25519 AAAA... old owner\n")
    # Killed half-way through a reset: the marker written, the accounts and a key gone.
    (data / "factory-reset.pending").write_text("")
    (data / "users.json").unlink()
    (data / "ssh_host_rsa_key").unlink()
    again = Booted(data, first.config, password="another horse battery")
    again.wait_event("appliance.ready", count=2)  # the events log is kept
    assert again.stop()[0] == 0
    assert (data / "serial").read_text() != serial, "booted half as the old appliance"
    assert not (data / "authorized_keys").exists() and not (data / "factory-reset.pending").exists()
    finished = [e for e in again.events() if e["kind"] == "appliance.factory_reset"]
    assert finished[-1]["message"] == "factory reset finished at boot: it had been cut short"


def test_banner_says_why_the_gps_is_not_running_and_names_no_other_backend(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    (data / "links").mkdir(parents=True)
    (data / "links" / "gps0").write_text("someone's file\n")  # the link cannot be made
    booted = Booted(data, password="correct horse battery")
    booted.wait_event("appliance.ready")
    assert booted.stop()[0] == 0
    (gps,) = [line for line in booted.stdout().splitlines() if line.startswith("  gps ")]
    assert gps.startswith("  gps      sim receiver at ") and "(not running: " in gps, gps
    assert "2947" not in gps  # gpsd's address, which this appliance does not use


def test_password_recovery_on_the_console_after_a_power_on(tmp_path: Path) -> None:
    """The admin password is lost: power on, and within the window the console's user
    `recovery` with the serial number sets a new one; audited, and it logs in."""
    link = tmp_path / "data" / "links" / "console"
    booted = Booted(tmp_path / "data", password="a password nobody remembers")
    booted.wait_event("appliance.ready")
    serial_number = (tmp_path / "data" / "serial").read_text().strip()
    port, expect = open_console(link)
    try:
        port.write(b"\r")
        expect(b"login: ")
        port.write(b"recovery\r")
        expect(b"Serial number: ")
        port.write(serial_number.encode() + b"\r")
        expect(b"New password for admin: ")
        port.write(b"found again at last\r")
        expect(b"Retype new password: ")
        port.write(b"found again at last\r")
        expect(b"Log in as admin.\r\n\r\nlogin: ")
        port.write(b"admin\r")
        expect(b"Password: ")
        port.write(b"found again at last\r")
        expect(b"admin@")
    finally:
        port.close()
    recovered = booted.wait_event("admin.password_recovered")
    assert recovered["security"] is True and recovered["fields"]["source"] == "console"
    assert booted.stop()[0] == 0
