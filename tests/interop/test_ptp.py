"""linuxptp against the appliance as PTP grandmaster, over a veth pair between two network
namespaces the test makes: ptp4l follows it as a slave (`--free_running 1`, so the shared
system clock is never steered, which also keeps its port UNCALIBRATED rather than SLAVE:
that needs the servo to lock), pmc reads the data sets, a lost sky moves clockClass 6 -> 7,
and a better grandmaster makes the appliance PASSIVE."""

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.ntp_appliance import status_tree
from tests.interop.ptp_link import (
    APPLIANCE_CONFIG,
    Link,
    Ptp4l,
    master_offsets,
    pmc_fields,
    ptp_appliance,
    veth_link,
)
from tests.scenarios.appliance import Booted, write_config
from tests.tools import require


@pytest.fixture(scope="module")
def link() -> Iterator[Link]:
    require("ptp4l")
    require("pmc")
    with veth_link() as made:
        yield made


@pytest.fixture(scope="module")
def appliance(link: Link, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Booted]:
    with ptp_appliance(link, tmp_path_factory.mktemp("ptp-gm")) as booted:
        yield booted


@pytest.fixture(scope="module")
def slave(
    link: Link, appliance: Booted, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ptp4l]:
    running = Ptp4l(link, tmp_path_factory.mktemp("ptp-slave"), "slave")
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


def test_ptp4l_follows_the_appliance(link: Link, appliance: Booted, slave: Ptp4l) -> None:
    ours = link.gm_clock_identity()
    slave.wait_for(rf"selected best master clock {re.escape(ours)}")
    slave.wait_for(r"LISTENING to UNCALIBRATED on RS_SLAVE")
    wait_until(lambda: slave.text().count("master offset") >= 6, seconds=40)
    lines = master_offsets(slave.text())[-5:]
    # Served time and the shared host clock agree to within the discipline's error.
    assert max(abs(line.offset_ns) for line in lines) < 50_000, lines
    assert all(0 < line.path_delay_ns < 1_000_000 for line in lines), lines
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


def test_pmc_reads_the_appliance_data_sets(link: Link, slave: Ptp4l) -> None:
    ours = link.gm_clock_identity()
    default = udp_pmc(link, "GET DEFAULT_DATA_SET")
    assert default["clockIdentity"] == ours and default["clockClass"] == "6", default
    assert (default["priority1"], default["twoStepFlag"], default["slaveOnly"]) == ("128", "1", "0")
    port = udp_pmc(link, "GET PORT_DATA_SET")
    assert port["portState"] == "MASTER" and port["portIdentity"] == f"{ours}-1", port
    assert udp_pmc(link, "GET CURRENT_DATA_SET")["stepsRemoved"] == "0"
    assert udp_pmc(link, "GET TIME_PROPERTIES_DATA_SET")["currentUtcOffset"] == "37"


def test_satellites_lost_moves_clock_class_6_to_7(
    link: Link, appliance: Booted, slave: Ptp4l
) -> None:
    text = APPLIANCE_CONFIG.format(scenario="satellites_lost", interface=link.gm_if)
    write_config(appliance.config, text)
    appliance.signal(signal.SIGHUP)
    appliance.wait_event("timing.holdover", seconds=30)
    wait_until(lambda: udp_pmc(link, "GET DEFAULT_DATA_SET").get("clockClass") == "7")
    wait_until(lambda: slave.pmc("GET PARENT_DATA_SET").get("gm.ClockClass") == "7")


def test_a_better_grandmaster_makes_the_appliance_passive(
    link: Link, appliance: Booted, slave: Ptp4l, tmp_path: Path
) -> None:
    before = len([e for e in appliance.events() if e["kind"] == "ptp.port_state"])
    better = Ptp4l(link, tmp_path, "better", "priority1 10\n", slave=False)
    try:
        change = appliance.wait_event("ptp.port_state", count=before + 1, seconds=40)
        assert "MASTER -> PASSIVE" in str(change["message"]), change
        wait_until(lambda: udp_pmc(link, "GET PORT_DATA_SET").get("portState") == "PASSIVE")
    finally:
        better.stop()
    back = appliance.wait_event("ptp.port_state", count=before + 2, seconds=40)
    assert "PASSIVE -> MASTER" in str(back["message"]), back
