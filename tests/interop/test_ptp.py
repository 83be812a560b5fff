"""linuxptp against the appliance as PTP grandmaster, over a veth pair between two network
namespaces the test makes: ptp4l follows it as a slave (`--free_running 1`, so the shared
system clock is never steered, which also keeps its port UNCALIBRATED rather than SLAVE:
that needs the servo to lock), pmc reads the data sets, a lost sky moves clockClass 6 -> 7,
and a better grandmaster makes the appliance PASSIVE."""

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.ntp_appliance import status_tree
from tests.interop.ptp_link import Link, pmc_fields, ptp4l_config, veth_link
from tests.scenarios.appliance import Booted, write_config
from tests.tools import require

CONFIG = """[timing]
lock_samples = 3
loss_seconds = 2
[gps.sim]
scenario = "{scenario}"
[services.ptp]
enabled = true
interface = "{interface}"
allow = ["10.99.0.0/24"]
"""


class Slave:
    """ptp4l as a slave in the client namespace, its log kept in a file."""

    def __init__(self, link: Link, work: Path, name: str, extra: str = "", slave: bool = True):
        self.socket = work / f"{name}.sock"
        self.log = work / f"{name}.log"
        config = ptp4l_config(work / f"{name}.cfg", self.socket, extra)
        flags = ["-s"] if slave else []
        command = ["ptp4l", "-i", link.client_if, "-S", "-4", "-m", "--free_running", "1"]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", link.client, *command, *flags, "-f", str(config)],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.link = link

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, seconds: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"ptp4l never printed {pattern!r}:\n{self.text()[-2000:]}")

    def pmc(self, query: str) -> dict[str, str]:
        """pmc through this ptp4l's management socket: what the slave knows."""
        args = ("pmc", "-u", "-b", "0", "-s", str(self.socket), query)
        return pmc_fields(self.link.run(self.link.client, *args))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    require("ptp4l")
    require("pmc")
    with veth_link() as made:
        yield made


@pytest.fixture(scope="module")
def appliance(link: Link, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Booted]:
    work = tmp_path_factory.mktemp("ptp-gm")
    text = CONFIG.format(scenario="locked", interface=link.gm_if)
    config = write_config(work / "config.toml", text)
    booted = Booted(work / "data", config, prefix=("ip", "netns", "exec", link.gm))
    try:
        booted.wait_event("timing.locked", seconds=40)
        booted.wait_event("ptp.port_state", seconds=20)
        yield booted
    finally:
        booted.stop(seconds=10)


@pytest.fixture(scope="module")
def slave(
    link: Link, appliance: Booted, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Slave]:
    running = Slave(link, tmp_path_factory.mktemp("ptp-slave"), "slave")
    try:
        yield running
    finally:
        running.stop()


def udp_pmc(link: Link, query: str) -> dict[str, str]:
    """pmc over UDP/IPv4 from the client namespace: what the appliance itself answers."""
    return pmc_fields(link.run(link.client, "pmc", "-4", "-i", link.client_if, "-b", "0", query))


def wait_until(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise AssertionError("condition not met in time")


def test_ptp4l_follows_the_appliance(link: Link, appliance: Booted, slave: Slave) -> None:
    ours = link.gm_clock_identity()
    slave.wait_for(rf"selected best master clock {re.escape(ours)}")
    slave.wait_for(r"LISTENING to UNCALIBRATED on RS_SLAVE")
    wait_until(lambda: slave.text().count("master offset") >= 6, seconds=40)
    offsets = [int(v) for v in re.findall(r"master offset\s+(-?\d+)", slave.text())]
    delays = [int(v) for v in re.findall(r"path delay\s+(-?\d+)", slave.text())]
    # Served time and the shared host clock agree to within the discipline's error.
    assert max(abs(v) for v in offsets[-5:]) < 50_000, offsets
    assert all(0 < d < 1_000_000 for d in delays[-5:]), delays
    parent = slave.pmc("GET PARENT_DATA_SET")
    assert parent["grandmasterIdentity"] == ours and parent["gm.ClockClass"] == "6", parent
    properties = slave.pmc("GET TIME_PROPERTIES_DATA_SET")
    assert properties["currentUtcOffset"] == "37" and properties["timeSource"] == "0x20"
    assert properties["ptpTimescale"] == "1" and properties["timeTraceable"] == "1"
    # The admin command line (`ptp`, `ptp slaves`) shows ptp4l among the slaves heard.
    ptp = status_tree(appliance)["ptp"]
    assert ptp["port_state"] == "MASTER" and ptp["state_reason"]
    heard = {row[0]: row for row in ptp["slaves_heard"]}
    assert heard[link.client_address][2] >= 1, ptp["slaves_heard"]


def test_pmc_reads_the_appliance_data_sets(link: Link, slave: Slave) -> None:
    ours = link.gm_clock_identity()
    default = udp_pmc(link, "GET DEFAULT_DATA_SET")
    assert default["clockIdentity"] == ours and default["clockClass"] == "6", default
    assert (default["priority1"], default["twoStepFlag"], default["slaveOnly"]) == ("128", "1", "0")
    port = udp_pmc(link, "GET PORT_DATA_SET")
    assert port["portState"] == "MASTER" and port["portIdentity"] == f"{ours}-1", port
    assert udp_pmc(link, "GET CURRENT_DATA_SET")["stepsRemoved"] == "0"
    assert udp_pmc(link, "GET TIME_PROPERTIES_DATA_SET")["currentUtcOffset"] == "37"


def test_satellites_lost_moves_clock_class_6_to_7(
    link: Link, appliance: Booted, slave: Slave
) -> None:
    text = CONFIG.format(scenario="satellites_lost", interface=link.gm_if)
    write_config(appliance.config, text)
    appliance.signal(signal.SIGHUP)
    appliance.wait_event("timing.holdover", seconds=30)
    wait_until(lambda: udp_pmc(link, "GET DEFAULT_DATA_SET").get("clockClass") == "7")
    wait_until(lambda: slave.pmc("GET PARENT_DATA_SET").get("gm.ClockClass") == "7")


def test_a_better_grandmaster_makes_the_appliance_passive(
    link: Link, appliance: Booted, slave: Slave, tmp_path: Path
) -> None:
    before = len([e for e in appliance.events() if e["kind"] == "ptp.port_state"])
    better = Slave(link, tmp_path, "better", "priority1 10\n", slave=False)
    try:
        change = appliance.wait_event("ptp.port_state", count=before + 1, seconds=40)
        assert "MASTER -> PASSIVE" in str(change["message"]), change
        wait_until(lambda: udp_pmc(link, "GET PORT_DATA_SET").get("portState") == "PASSIVE")
    finally:
        better.stop()
    back = appliance.wait_event("ptp.port_state", count=before + 2, seconds=40)
    assert "PASSIVE -> MASTER" in str(back["message"]), back
