"""Every OID the subagent serves is defined in the MIB files shipped in mibs/, and the
values come from the status tree."""

import json
import re
from pathlib import Path

from services.snmp.agentx import Oid, ValueType
from services.snmp.objects import ENTERPRISE, NTP_MIB, build_view

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


def test_every_served_oid_is_defined_in_the_shipped_mibs() -> None:
    view = build_view(json.loads(STATUS.read_text()), "1.2.3")
    mibs = [*our_mib().values(), *ntp_mib().values()]
    defined = {oid for oid, macro in mibs if macro == "OBJECT-TYPE"}
    served = [varbind.name for varbind in view.varbinds]
    assert len(served) > 40
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
    assert view.get((*ENTERPRISE, 1, 4, 9, 0)).value == 3  # tsNtpBadVersion
