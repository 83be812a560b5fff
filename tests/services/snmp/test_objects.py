"""Every OID the subagent serves is defined in the MIB files shipped in mibs/, and the
values come from the status tree."""

import json
import re
from pathlib import Path

from services.snmp.agentx import Oid, ValueType
from services.snmp.objects import ENTERPRISE, NTP_MIB, build_view, view_source

MIBS = Path(__file__).resolve().parents[3] / "mibs"
STATUS = Path(__file__).resolve().parents[2] / "data" / "snmp_status.json"
ROOTS = {"enterprises": (1, 3, 6, 1, 4, 1), "mib-2": (1, 3, 6, 1, 2, 1)}


def assignments(path: Path) -> dict[str, tuple[Oid, str]]:
    """name -> (OID, macro) of every assignment in one MIB module file."""
    text = re.sub(r"--[^\n]*", "", path.read_text())
    text = text.split(";", 1)[1]  # after IMPORTS
    found: dict[str, tuple[Oid, str]] = {}
    macros = "MODULE-IDENTITY|OBJECT-TYPE|OBJECT IDENTIFIER|OBJECT-GROUP|MODULE-COMPLIANCE|" \
             "NOTIFICATION-TYPE|NOTIFICATION-GROUP"  # fmt: skip
    pattern = rf"(\w+)\s+({macros})\b.*?::=\s*\{{\s*([\w\s-]+?)\s*\}}"
    for name, macro, where in re.findall(pattern, text, re.S):
        parent, *numbers = where.split()
        base = ROOTS.get(parent) or found[parent][0]
        found[name] = ((*base, *(int(n) for n in numbers)), macro)
    return found


def our_mib() -> dict[str, tuple[Oid, str]]:
    return assignments(MIBS / "TIMESERVER-MIB.txt")


def ntp_mib() -> dict[str, tuple[Oid, str]]:
    """RFC 5907's names, numbers and kinds, as listed in mibs/NTPv4-MIB-NAMES.txt."""
    found: dict[str, tuple[Oid, str]] = {}
    for line in (MIBS / "NTPv4-MIB-NAMES.txt").read_text().splitlines():
        if line and not line.startswith("--"):
            name, oid, kind = line.split(maxsplit=2)
            found[name] = (tuple(int(n) for n in oid.split(".")), kind)
    return found


def test_the_root_is_one_constant() -> None:
    assert our_mib()["tsMIB"] == (ENTERPRISE, "MODULE-IDENTITY")
    assert ntp_mib()["ntpSnmpMIB"] == (NTP_MIB, "MODULE-IDENTITY")


SECOND = 1_000_000_000
NEW_YEAR_2026 = 1_767_225_600 * SECOND
"""2026-01-01T00:00:00Z: NTP era 0, second 3976214400 (0xED003780)."""
PKT_MODE_ENTRY = (*NTP_MIB, 1, 2, 17, 1)
CLIENT_RECEIVED, SERVER_SENT = (*PKT_MODE_ENTRY, 3, 3), (*PKT_MODE_ENTRY, 2, 4)
"""ntpEntStatPktReceived.client(3), ntpEntStatPktSent.server(4)."""
UPTIME, DATE_TIME, LEAP_SECOND = (
    (*NTP_MIB, 1, 2, 8, 0),
    (*NTP_MIB, 1, 2, 9, 0),
    (*NTP_MIB, 1, 2, 10, 0),
)


def test_every_served_oid_is_defined_in_the_shipped_mibs() -> None:
    view = build_view(json.loads(STATUS.read_text()), "1.2.3", NEW_YEAR_2026)
    mibs = [*our_mib().values(), *ntp_mib().values()]
    defined = {oid for oid, macro in mibs if macro == "OBJECT-TYPE"}
    served = [varbind.name for varbind in view.varbinds]
    assert len(served) > 40
    assert {UPTIME, DATE_TIME, LEAP_SECOND, CLIENT_RECEIVED, SERVER_SENT} <= set(served)
    assert [oid for oid in served if oid[:-1] not in defined] == []
    assert all(oid[: len(NTP_MIB)] == NTP_MIB or oid[: len(ENTERPRISE)] == ENTERPRISE
               for oid in served)  # fmt: skip


def test_values_come_from_the_status_tree() -> None:
    tree = json.loads(STATUS.read_text())
    view = build_view(tree, "1.2.3")
    assert view.get((*ENTERPRISE, 1, 2, 2, 0)).value == tree["gps"]["satellites_used"]
    assert view.get((*NTP_MIB, 1, 2, 2, 0)).value == tree["timing"]["stratum"]
    assert view.get((*NTP_MIB, 1, 1, 2, 0)).value == b"1.2.3"
    assert view.get((*NTP_MIB, 1, 1, 7, 0)).value == b"0.021462 ms"  # ntpEntTimeDistance
    assert view.get((*NTP_MIB, 1, 2, 5, 0)).type == ValueType.NO_SUCH_OBJECT
    tree["timing"]["last_offset_ns"] = -1500
    offset = build_view(tree, "").get((*NTP_MIB, 1, 2, 5, 0))  # ntpEntStatusActiveOffset
    assert offset.value == b"-0.001500 ms"
    tree["timing"]["sync_state"] = "HOLDOVER"
    assert build_view(tree, "").get((*ENTERPRISE, 1, 1, 1, 0)).value == 3
    del tree["ntp"]
    assert build_view(tree, "").get((*ENTERPRISE, 1, 4, 1, 0)).type == ValueType.NO_SUCH_OBJECT


def test_bad_versions_are_their_own_counter_and_in_the_packets_counted() -> None:
    tree = json.loads(STATUS.read_text())
    tree["ntp"].update(served=10, malformed=2, bad_version=3)
    view = build_view(tree, "")
    assert view.get((*NTP_MIB, 1, 2, 14, 0)).value == 3  # ntpEntStatusBadVersion
    assert view.get((*NTP_MIB, 1, 2, 15, 0)).value == 2  # ntpEntStatusProtocolError
    assert view.get((*NTP_MIB, 1, 2, 12, 0)).value == 15  # ntpEntStatusInPkts
    tree["ntp"].update(served_stale=4)  # four of the ten served were stale: no new packets
    view = build_view(tree, "")
    assert view.get((*NTP_MIB, 1, 2, 12, 0)).value == 15
    assert view.get((*NTP_MIB, 1, 2, 13, 0)).value == 10  # ntpEntStatusOutPkts
    assert view.get((*ENTERPRISE, 1, 4, 9, 0)).value == 3  # tsNtpBadVersion


def test_uptime_date_time_and_leap_second_come_from_the_tree_and_the_clock_passed_in() -> None:
    tree = json.loads(STATUS.read_text())
    tree["timing"].update(sync_state="LOCKED", leap_indicator=0)
    view = build_view(tree, "", NEW_YEAR_2026 + SECOND // 2)
    uptime = view.get(UPTIME)  # ntpEntStatusEntityUptime: 12.34 s in hundredths
    assert (uptime.type, uptime.value) == (ValueType.TIME_TICKS, 1234)
    now = view.get(DATE_TIME)  # ntpEntStatusDateTime: era 0, 0xED003780, half a second
    assert (now.type, now.value) == (
        ValueType.OCTET_STRING,
        bytes.fromhex("00000000ED0037808000000000000000"),
    )
    assert view.get(LEAP_SECOND).value == bytes(16)  # ntpEntStatusLeapSecond: none announced
    tree["timing"]["leap_at_ns"] = NEW_YEAR_2026
    leap = build_view(tree, "").get(LEAP_SECOND)
    assert leap.value == bytes.fromhex("00000000ED0037800000000000000000")


def test_what_the_tree_or_the_caller_lacks_is_left_out() -> None:
    tree = json.loads(STATUS.read_text())
    assert tree["timing"]["leap_indicator"] == 3  # not synchronised: a zero-length date
    assert build_view(tree, "", NEW_YEAR_2026).get(DATE_TIME).value == b""
    view = build_view(tree, "")  # no served clock
    assert view.get(DATE_TIME).type == ValueType.NO_SUCH_OBJECT
    del tree["timing"]["leap_at_ns"], tree["ntp"]["uptime_s"]  # a stopped NTP service
    view = build_view(tree, "", NEW_YEAR_2026)
    assert view.get(UPTIME).type == view.get(LEAP_SECOND).type == ValueType.NO_SUCH_OBJECT


def test_each_view_reads_the_served_clock_when_it_is_built() -> None:
    tree = json.loads(STATUS.read_text())
    tree["timing"]["leap_indicator"] = 0
    readings = iter([NEW_YEAR_2026, NEW_YEAR_2026 + 3 * SECOND])
    views = view_source(lambda: tree, "", lambda: next(readings))
    first, second = views().get(DATE_TIME).value, views().get(DATE_TIME).value
    assert (first[4:8], second[4:8]) == (bytes.fromhex("ED003780"), bytes.fromhex("ED003783"))


def test_the_packet_mode_table_has_what_the_counters_give_and_nothing_else() -> None:
    tree = json.loads(STATUS.read_text())
    tree["ntp"].update(client_requests=7, server_replies=5, other_modes=2, mode6=3)
    view = build_view(tree, "")
    received, sent = view.get(CLIENT_RECEIVED), view.get(SERVER_SENT)
    assert (received.type, received.value) == (ValueType.COUNTER32, 7)
    assert (sent.type, sent.value) == (ValueType.COUNTER32, 5)
    table = [v.name for v in view.varbinds if v.name[: len(PKT_MODE_ENTRY)] == PKT_MODE_ENTRY]
    assert table == [SERVER_SENT, CLIENT_RECEIVED], "no row for what no counter tells apart"
    del tree["ntp"]["client_requests"], tree["ntp"]["server_replies"]  # no NTP counters: no table
    assert build_view(tree, "").get(CLIENT_RECEIVED).type == ValueType.NO_SUCH_OBJECT
