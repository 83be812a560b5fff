"""net-snmp's clients against the appliance's SNMP service (snmpd as a supervised child with
our AgentX subagent): SNMPv3 authPriv reads the system group, the NTPv4-MIB and our MIB with
the values `status --json` shows (ntpEntStatusDateTime: the simulated world's UTC); v1, v2c,
noAuthNoPriv and authNoPriv get nothing; sets are refused; snmpd's own tables are hidden; a
wrong passphrase is an event; snmpd killed is restarted and the subagent registers again
within 5 s."""

import json
import os
import re
import signal
import socket
import struct
import time
import tomllib
from collections.abc import Callable, Iterator

import pytest

from services.snmp.objects import ENTERPRISE, ntp_in_packets
from tests.interop.netsnmp import NetSnmp, SnmpUser
from tests.scenarios.appliance import Booted, timeserver, write_config
from tests.tools import free_port, require

SYS_NAME = "1.3.6.1.2.1.1.5.0"
NTP_MIB = "1.3.6.1.2.1.197"
OURS = ".".join(str(n) for n in ENTERPRISE)
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
USER = SnmpUser()


class Box:
    def __init__(self, booted: Booted, client: NetSnmp) -> None:
        self.booted = booted
        self.client = client

    def snmp_status_tree(self) -> dict[str, dict[str, object]]:
        raw = timeserver("status", "--data-dir", str(self.booted.data_dir), "--json").stdout
        tree: dict[str, dict[str, object]] = json.loads(raw)
        return tree

    def snmp_status(self) -> dict[str, object]:
        return self.snmp_status_tree()["snmp"]


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    require("snmpd")
    directory = tmp_path_factory.mktemp("snmp")
    port = free_port()
    config = write_config(
        directory / "config.toml",
        f'[device]\nname = "clock-7"\n[services.snmp]\nenabled = true\nport = {port}\n'
        'bind = ["127.0.0.1"]\nallow = ["127.0.0.1/32", "127.0.0.2/32"]\n'
        'sys_location = "rack 4, room 2"\n' + USER.toml(),
    )
    booted = Booted(directory / "data", config)
    booted.wait_event("appliance.ready")
    booted.wait_event("snmp.subagent_registered")
    yield Box(booted, NetSnmp(directory / "client", port))
    booted.stop()


def value(output: str) -> str:
    return output.split(" = ", 1)[1].strip()


def test_v3_auth_priv_reads_the_system_group(box: Box) -> None:
    result = box.client.get(USER.v3(), SYS_NAME, SYS_LOCATION)
    assert result.returncode == 0, result.stderr
    name, location = result.stdout.splitlines()
    assert value(name) == 'STRING: "clock-7"'
    assert value(location) == 'STRING: "rack 4, room 2"'


@pytest.mark.parametrize(
    "options",
    [["-v1", "-c", "public"], ["-v2c", "-c", "public"], USER.v3("noAuthNoPriv"),
     USER.v3("authNoPriv")],
    ids=["v1", "v2c", "noAuthNoPriv", "authNoPriv"],
)  # fmt: skip
def test_everything_but_v3_auth_priv_is_refused(box: Box, options: list[str]) -> None:
    result = box.client.get(options, SYS_NAME)
    assert result.returncode != 0
    assert "clock-7" not in result.stdout


def failures(box: Box) -> dict[str, object]:
    requests = box.snmp_status()["requests"]
    assert isinstance(requests, dict)
    return requests


def test_a_wrong_passphrase_is_refused_and_logged_with_the_source(box: Box) -> None:
    before = failures(box)["wrong_digest"]
    wrong = SnmpUser(auth_passphrase="not-the-pass-123")
    result = box.client.get([*wrong.v3(), "--clientaddr=127.0.0.2"], SYS_NAME)
    assert result.returncode != 0 and "Authentication failure" in result.stderr
    event = box.booted.wait_event("snmp.auth_failed")
    assert event["security"] is True
    assert event["message"] == (
        "SNMP wrong authentication passphrase for user 'nms' from 127.0.0.2"
    )
    assert failures(box)["wrong_digest"] == before + 1
    log = (box.booted.data_dir / "events.log").read_text()
    assert "not-the-pass" not in log and USER.auth_passphrase not in log


def test_an_unknown_user_is_counted_and_logged_with_the_source(box: Box) -> None:
    before = len([e for e in box.booted.events() if e["kind"] == "snmp.auth_failed"])
    result = box.client.get(SnmpUser("intruder").v3(), SYS_NAME)
    assert result.returncode != 0 and "Unknown user name" in result.stderr
    event = box.booted.wait_event("snmp.auth_failed", count=before + 1)
    assert event["message"] == "SNMP unknown user for user 'intruder' from 127.0.0.1"
    assert event["fields"] == {"source": "127.0.0.1", "user": "intruder"}
    assert failures(box)["unknown_user"] >= 1


@pytest.mark.parametrize(
    "options", [USER.v3(), ["-v2c", "-c", "public"]], ids=["v3-authPriv", "v2c"]
)
def test_a_source_outside_the_allow_list_gets_no_answer(box: Box, options: list[str]) -> None:
    allowed = box.client.get([*USER.v3(), "--clientaddr=127.0.0.2"], SYS_NAME)
    assert allowed.returncode == 0 and "clock-7" in allowed.stdout, allowed.stderr
    refused = box.client.get([*options, "--clientaddr=127.0.0.3"], SYS_NAME)
    assert refused.returncode != 0 and "Timeout" in refused.stderr and not refused.stdout
    event = box.booted.wait_event("snmp.refused")
    assert event["security"] is True and event["fields"] == {"source": "127.0.0.3"}
    assert failures(box)["refused"] >= 1


def test_snmpd_files_are_owner_only_and_hold_no_stock_config(box: Box) -> None:
    directory = box.booted.data_dir / "snmp"
    assert directory.stat().st_mode & 0o077 == 0
    conf = (directory / "snmpd.conf").read_text()
    assert (directory / "snmpd.conf").stat().st_mode & 0o077 == 0
    assert "rocommunity" not in conf and "com2sec" not in conf
    assert (directory / "persist" / "snmpd.conf").exists()  # engine ID and boots live here


def test_killed_snmpd_is_restarted(box: Box) -> None:
    pid = box.snmp_status()["pid"]
    assert isinstance(pid, int)
    os.kill(pid, signal.SIGKILL)
    box.booted.wait_event("service.crashed")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = box.snmp_status()
        if status["state"] == "running" and status["pid"] not in (None, pid):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"snmpd not restarted: {status}")
    restarted = time.monotonic()
    while time.monotonic() - restarted < 5:
        if box.client.get(USER.v3(), f"{OURS}.1.1.1.0").stdout.count("INTEGER:") == 1:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the subagent did not register again within 5 s")
    assert box.snmp_status()["subagent"] == "registered"
    result = box.client.get(USER.v3(), SYS_NAME)
    assert result.returncode == 0, result.stderr


def walk(box: Box, program: str, root: str) -> dict[str, str]:
    result = box.client.run(program, USER.v3(), root)
    assert result.returncode == 0, result.stderr
    rows = [line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line]
    return {name.lstrip("."): value for name, value in rows}


@pytest.mark.parametrize("program", ["snmpwalk", "snmpbulkwalk"])
def test_walks_of_both_mibs_match_the_status(box: Box, program: str) -> None:
    box.booted.wait_event("timing.locked", seconds=60)  # the GPS counts settle once locked
    ntp, ours = walk(box, program, NTP_MIB), walk(box, program, OURS)
    status = box.snmp_status_tree()
    timing, gps = status["timing"], status["gps"]
    assert ntp[f"{NTP_MIB}.1.2.2.0"] == f"Gauge32: {timing['stratum']}"
    assert ntp[f"{NTP_MIB}.1.2.4.0"] == f'STRING: "{timing["refid"]}"'
    assert ntp[f"{NTP_MIB}.1.2.12.0"] == f"Counter32: {ntp_in_packets(status['ntp'])}"
    # ntpEntStatPktModeTable: mode 4 sent, mode 3 received, and no other cell
    assert ntp[f"{NTP_MIB}.1.2.17.1.2.4"] == f"Counter32: {status['ntp']['server_replies']}"
    assert ntp[f"{NTP_MIB}.1.2.17.1.3.3"] == f"Counter32: {status['ntp']['client_requests']}"
    assert len([name for name in ntp if name.startswith(f"{NTP_MIB}.1.2.17.")]) == 2
    states = {"FREERUN": 1, "LOCKED": 2, "HOLDOVER": 3, "UNSYNC": 4}
    assert ours[f"{OURS}.1.1.1.0"] == f"INTEGER: {states[timing['sync_state']]}"
    assert ours[f"{OURS}.1.1.5.0"] == f"INTEGER: {timing['ptp_clock_class']}"
    assert ours[f"{OURS}.1.2.2.0"] == f"Gauge32: {gps['satellites_used']}"
    assert ours[f"{OURS}.1.3.1.2.5"] == 'STRING: "ntp"'
    assert ours[f"{OURS}.1.3.1.3.10"] == "INTEGER: 1"  # snmp itself is running
    assert ours[f"{OURS}.1.4.1.0"] == f"Counter64: {status['ntp']['served']}"


def test_sets_are_refused_and_snmpd_s_own_tables_are_hidden(box: Box) -> None:
    name = f"{OURS}.1.1.5.0"
    before = box.client.get(USER.v3(), name).stdout
    result = box.client.run("snmpset", USER.v3(), name, "i", "6")
    assert result.returncode != 0 and (
        "noAccess" in result.stderr or "notWritable" in result.stderr
    )
    assert box.client.get(USER.v3(), name).stdout == before
    hidden = box.client.run("snmpwalk", USER.v3(), "1.3.6.1.6.3")
    assert not [line for line in hidden.stdout.splitlines() if "No more variables" not in line]


def test_status_and_the_boot_banner_show_where_snmp_listens(box: Box) -> None:
    port = box.client.port
    status = timeserver("status", "--data-dir", str(box.booted.data_dir)).stdout
    assert re.search(
        rf"^  snmp +running(, \d+ restarts)?, on 127.0.0.1:{port}, subagent registered( |$)",
        status, re.M,
    ), status  # fmt: skip
    assert f"  snmp     127.0.0.1:{port}" in box.booted.stdout().splitlines()


def test_a_wrong_privacy_passphrase_is_counted_and_logged_with_the_source(box: Box) -> None:
    """The right authentication passphrase and a wrong privacy one: snmpd authenticates the
    request, cannot read what it decrypts and stays silent (no Report); the front door names
    the source."""
    before = len([e for e in box.booted.events() if e["kind"] == "snmp.auth_failed"])
    counted = failures(box)["decryption_error"]
    wrong = SnmpUser(priv_passphrase="not-the-priv-123")
    result = box.client.get([*wrong.v3(), "--clientaddr=127.0.0.2"], SYS_NAME)
    assert result.returncode != 0 and "Timeout" in result.stderr and not result.stdout
    event = box.booted.wait_event("snmp.auth_failed", count=before + 1)
    assert event["security"] is True
    assert event["message"] == (
        "SNMP decryption error (wrong privacy passphrase) for user 'nms' from 127.0.0.2"
    )
    assert event["fields"] == {"source": "127.0.0.2", "user": "nms"}
    assert failures(box)["decryption_error"] == counted + 1
    right = box.client.get(USER.v3(), SYS_NAME)
    assert right.returncode == 0 and "clock-7" in right.stdout, right.stderr
    assert failures(box)["decryption_error"] == counted + 1, "a good request is no failure"
    log = (box.booted.data_dir / "events.log").read_text()
    assert "not-the-priv" not in log and USER.priv_passphrase not in log


def test_an_ntp_request_of_an_unsupported_version_is_ntp_ent_status_bad_version(box: Box) -> None:
    """An NTPv5 client request is dropped and counted apart from malformed packets: snmpget
    reads it as ntpEntStatusBadVersion, and ntpEntStatusProtocolError does not move."""
    bad_version, protocol_error = f"{NTP_MIB}.1.2.14.0", f"{NTP_MIB}.1.2.15.0"

    def read() -> tuple[str, str]:
        result = box.client.get(USER.v3(), bad_version, protocol_error)
        assert result.returncode == 0, result.stderr
        first, second = result.stdout.splitlines()
        return value(first), value(second)

    before = read()
    assert ask_ntp(box, bytes([(5 << 3) | 3]) + bytes(47)) is None
    counted = int(before[0].split()[-1]) + 1
    until(lambda: read()[0] == f"Counter32: {counted}")
    assert read() == (f"Counter32: {counted}", before[1])


def ask_ntp(box: Box, request: bytes) -> bytes | None:
    """One request to the appliance's NTP port; its answer, or None after a second."""
    port = tomllib.loads(box.booted.config.read_text())["services"]["ntp"]["port"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(1)
        client.sendto(request, ("127.0.0.1", port))
        try:
            return client.recv(100)
        except TimeoutError:
            return None


def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Polls until `condition` holds (the workers publish their counters every so often)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_time_request_and_its_reply_move_the_packet_mode_table(box: Box) -> None:
    """ntpEntStatPktReceived.client(3) and ntpEntStatPktSent.server(4) count an NTPv4 client
    request and the server reply it gets."""
    received, sent = f"{NTP_MIB}.1.2.17.1.3.3", f"{NTP_MIB}.1.2.17.1.2.4"

    def read() -> tuple[int, int]:
        result = box.client.get(USER.v3(), received, sent)
        assert result.returncode == 0, result.stderr
        first, second = result.stdout.splitlines()
        return int(value(first).split()[-1]), int(value(second).split()[-1])

    before = read()
    reply = ask_ntp(box, bytes([(4 << 3) | 3]) + bytes(47))
    assert reply is not None and reply[0] & 7 == 4
    until(lambda: read() == (before[0] + 1, before[1] + 1))
    assert read() == (before[0] + 1, before[1] + 1)


NTP_UNIX_OFFSET_S = 2_208_988_800


def ntp_date_ns(octets: bytes) -> int:
    """RFC 5905's 128-bit date (signed era, era offset, 64-bit fraction) as Unix ns."""
    era, offset, fraction = struct.unpack("!iIQ", octets)
    seconds = (era << 32) + offset - NTP_UNIX_OFFSET_S
    return seconds * 1_000_000_000 + (fraction * 1_000_000_000 >> 64)


def test_date_time_is_the_served_utc_and_the_entity_uptime_grows(box: Box) -> None:
    """snmpget reads ntpEntStatusDateTime as 16 bytes that decode to the simulated world's
    UTC (within a second), and ntpEntStatusEntityUptime grows between two reads."""
    box.booted.wait_event("timing.locked", seconds=60)
    date_time, uptime = f"{NTP_MIB}.1.2.9.0", f"{NTP_MIB}.1.2.8.0"

    def read() -> tuple[bytes, int]:
        result = box.client.get([*USER.v3(), "-Ox"], date_time, uptime)
        assert result.returncode == 0, result.stderr
        octets = re.search(r"1\.2\.9\.0 = Hex-STRING: ([0-9A-F\s]+?)\s*(\.1\.3|$)", result.stdout)
        ticks = re.search(r"1\.2\.8\.0 = Timeticks: \((\d+)\)", result.stdout)
        assert octets and ticks, result.stdout
        return bytes.fromhex(octets[1]), int(ticks[1])

    truth_before = int(box.snmp_status_tree()["sim"]["true_utc_ns"])
    octets, first = read()
    after = box.snmp_status_tree()
    truth_after, uptime_s = int(after["sim"]["true_utc_ns"]), float(after["ntp"]["uptime_s"])
    assert len(octets) == 16
    assert truth_before - 10**9 <= ntp_date_ns(octets) <= truth_after + 10**9
    assert 0 < first <= uptime_s * 100
    time.sleep(0.3)
    assert read()[1] > first
