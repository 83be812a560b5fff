"""linuxptp against the appliance as PTP grandmaster, over a veth pair between two network
namespaces the test makes: ptp4l follows it as a slave (`--free_running 1`, so the shared
system clock is never steered, which also keeps its port UNCALIBRATED rather than SLAVE:
that needs the servo to lock), pmc reads the data sets, the appliance says veth gives it
software timestamps and why, malformed messages sent with scapy are counted by kind and
dropped, scapy decodes what it announces, a lost sky moves clockClass 6 -> 7, and a better
grandmaster makes the appliance PASSIVE."""

import re
import signal
import time
from collections import Counter
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
from tests.interop.ptp_wire import (
    ANNOUNCE,
    DELAY_RESP,
    EVENT,
    FOLLOW_UP,
    GENERAL,
    GET,
    MANAGEMENT,
    PROBE_CLOCK,
    SET,
    SYNC,
    Send,
    delay_req,
    exchange,
    management,
    of_type,
    ts_info,
    with_tlv,
)
from tests.scenarios.appliance import Booted, write_config
from tests.tools import require

DENIED = "10.98.0.2"
"""A second address of the client, outside the appliance's allow list (10.99.0.0/24)."""
TIME_FLAG_BITS = {"leap61": 0x01, "leap59": 0x02, "utc_offset_valid": 0x04, "ptp_timescale": 0x08,
                  "time_traceable": 0x10, "frequency_traceable": 0x20}  # fmt: skip
"""flagField octet 1 by the names `ptp status` gives them."""


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


def test_veth_gives_software_timestamps_and_status_says_why(link: Link, appliance: Booted) -> None:
    ptp = status_tree(appliance)["ptp"]
    assert ptp["timestamping"] == "software (the interface offers no hardware timestamping)"
    names, phc = ts_info(link, link.gm, link.gm_if)
    assert phc == -1 and "software-transmit" in names, names
    assert not [name for name in names if name.startswith("hardware")], names


def test_the_ioctl_reads_what_ethtool_prints(link: Link) -> None:
    require("ethtool")
    printed = link.run(link.gm, "ethtool", "-T", link.gm_if)
    listed = re.search(r"Capabilities:\n((?:\t.*\n)*)", printed)
    assert listed, printed
    names = [line.split()[0] for line in listed.group(1).splitlines()]
    assert ts_info(link, link.gm, link.gm_if)[0] == names, printed
    assert "PTP Hardware Clock: none" in printed


@pytest.fixture(scope="module")
def denied_source(link: Link) -> str:
    """DENIED on the client's interface, its subnet on the appliance's, so it routes back."""
    link.run(link.gm, "ip", "addr", "add", "10.98.0.1/24", "dev", link.gm_if)
    link.run(link.client, "ip", "addr", "add", f"{DENIED}/24", "dev", link.client_if)
    return DENIED


def ptp_counters(appliance: Booted) -> dict[str, int]:
    """What `ptp counters` prints: the integer fields of the PTP status."""
    ptp = status_tree(appliance)["ptp"]
    return {name: value for name, value in ptp.items() if isinstance(value, int)}


def test_malformed_messages_over_the_wire_are_counted_and_dropped(
    link: Link, appliance: Booted, slave: Ptp4l, denied_source: str
) -> None:
    us = link.client_address
    management_past_end = with_tlv(management(60, GET, 0x2000)[:48], 0x0001, 0x20, b"\x20\x00")
    sends = [
        (Send(us, EVENT, delay_req(50)[:20]), "malformed_short"),
        (Send(us, GENERAL, delay_req(51)[:33]), "malformed_short"),
        (Send(us, EVENT, delay_req(52, version=1)), "malformed_version"),
        (Send(us, EVENT, delay_req(53, messageLength=120)), "malformed_length"),
        (Send(us, GENERAL, delay_req(54, messageLength=20)), "malformed_length"),
        (Send(us, EVENT, delay_req(55, messageLength=40)), "malformed_body"),
        (Send(us, GENERAL, delay_req(56, messageType=0x5)), "malformed_type"),
        (Send(us, EVENT, delay_req(57, messageType=0xE)), "malformed_type"),
        (Send(us, EVENT, with_tlv(delay_req(58), 0x0003, 0x40, b"abcd")), "malformed_tlv"),
        (Send(us, GENERAL, management_past_end), "malformed_tlv"),
        (Send(denied_source, EVENT, delay_req(59)), "denied"),
        (Send(us, GENERAL, management(61, SET, 0x2005, b"\x0a\x00")), "management_refused"),
    ]
    expected = Counter(counter for _send, counter in sends)
    before = ptp_counters(appliance)
    answered = Send(us, EVENT, delay_req(77))
    packets = exchange(
        link, [s for s, _ in sends] + [answered], [(DELAY_RESP, 77), (MANAGEMENT, 61)]
    )

    def counted() -> dict[str, int]:
        after = ptp_counters(appliance)
        return {name: after[name] - before[name] for name in expected}

    wait_until(lambda: counted() == dict(expected), seconds=10)
    malformed = sum(n for name, n in expected.items() if name.startswith("malformed_"))
    assert ptp_counters(appliance)["malformed"] - before["malformed"] == malformed
    # The well-formed Delay_Req after them all is answered, to our port identity.
    (response,) = of_type(packets, DELAY_RESP, 77)
    assert bytes(response)[44:54] == PROBE_CLOCK.to_bytes(8) + (1).to_bytes(2)
    # The SET is answered with an error status TLV (0x0002), never applied.
    (refusal,) = of_type(packets, MANAGEMENT, 61)
    assert bytes(refusal)[48:50] == (0x0002).to_bytes(2)
    assert udp_pmc(link, "GET DEFAULT_DATA_SET")["priority1"] == "128"
    # ptp4l still follows: new `master offset` lines after the barrage.
    seen = slave.text().count("master offset")
    wait_until(lambda: slave.text().count("master offset") > seen, seconds=10)


def test_scapy_decodes_what_the_appliance_announces(link: Link, appliance: Booted) -> None:
    packets = exchange(link, [], [(ANNOUNCE, -1), (SYNC, -1)])
    ptp = status_tree(appliance)["ptp"]
    announce = of_type(packets, ANNOUNCE)[-1]
    assert announce.grandmasterClockClass == ptp["clock_class"] == 6
    assert announce.domainNumber == ptp["domain"] == 0
    assert announce.currentUtcOffset == ptp["utc_offset"] == 37
    assert announce.timeSource == ptp["time_source"] == 0x20
    assert announce.grandmasterPriority1 == ptp["priority1"]
    identity = int(link.gm_clock_identity().replace(".", ""), 16)
    assert announce.grandmasterIdentity == announce.clockIdentity == identity
    # flagField octet 1 (IEEE 1588 13.3.2.8); scapy 2.8 names these bits as if the two
    # octets were swapped, so compare numbers.
    shown = sum(TIME_FLAG_BITS[name] for name in ptp["flags"])
    assert int(announce.flags) & 0x3F == shown and shown & TIME_FLAG_BITS["ptp_timescale"]
    follow_up = of_type(packets, FOLLOW_UP)[-1]
    (sync,) = of_type(packets, SYNC, follow_up.sequenceId)
    assert int(sync.flags) & 0x0200, "two-step flag (octet 0, 0x02)"
    origin = (
        follow_up.preciseOriginTimestamp_seconds
        + follow_up.preciseOriginTimestamp_nanoseconds / 1e9
    )
    assert abs(origin - (time.time() + 37)) < 5, "Follow_Up carries TAI: UTC plus 37 s"


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


def test_hardware_required_on_veth_refuses_to_start_ptp_saying_why(
    link: Link, appliance: Booted
) -> None:
    before = len([e for e in appliance.events() if e["kind"] == "service.failed_to_start"])
    text = APPLIANCE_CONFIG.format(scenario="locked", interface=link.gm_if)
    write_config(appliance.config, text + 'timestamping = "hardware"\n')
    appliance.signal(signal.SIGHUP)
    failed = appliance.wait_event("service.failed_to_start", count=before + 1, seconds=20)
    reason = f"no hardware timestamping on {link.gm_if}: the interface offers no hardware"
    assert str(failed["message"]).startswith(f"ptp failed to start: PTP: {reason}"), failed
