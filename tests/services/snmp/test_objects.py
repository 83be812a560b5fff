"""Every OID the subagent serves is defined in the MIB files shipped in mibs/, and the
values come from the status tree."""

import json
import re
from pathlib import Path

from services.snmp.agentx import Oid, ValueType
from services.snmp.objects import ENTERPRISE, NTP_MIB, build_view

MIBS = Path(__file__).resolve().parents[3] / "mibs"
STATUS = Path(__file__).resolve().parents[2] / "data" / "snmp_status.json"
ROOTS = {"enterprises": (1, 3, 6, 1, 4, 1)}


def our_mib() -> dict[str, tuple[Oid, str]]:
    """name -> (OID, macro) of every assignment in TIMESERVER-MIB."""
    text = re.sub(r"--[^\n]*", "", (MIBS / "TIMESERVER-MIB.txt").read_text())
    text = text.split(";", 1)[1]  # after IMPORTS
    found: dict[str, tuple[Oid, str]] = {}
    pattern = r"(\w+)\s+(MODULE-IDENTITY|OBJECT-TYPE|OBJECT IDENTIFIER|OBJECT-GROUP|" \
              r"MODULE-COMPLIANCE)\b.*?::=\s*\{\s*([\w\s]+?)\s*\}"  # fmt: skip
    for name, macro, where in re.findall(pattern, text, re.S):
        parent, *numbers = where.split()
        base = ROOTS.get(parent) or found[parent][0]
        found[name] = ((*base, *(int(n) for n in numbers)), macro)
    return found


def ntp_subset() -> set[Oid]:
    text = (MIBS / "NTPv4-MIB-SUBSET.txt").read_text()
    objects, group = set(), ()
    for line in text.splitlines():
        if heading := re.match(r"-- (ntpEnt\w+) \(([\d.]+)\)", line):
            group = tuple(int(n) for n in heading[2].split("."))
        elif (row := re.match(r"--   ntpEnt\w+\s+(\d+)\s", line)) and group:
            objects.add((*group, int(row[1])))
        elif line.startswith("-- Not served"):
            break
    return objects


def test_the_root_is_one_constant() -> None:
    assert our_mib()["tsMIB"] == (ENTERPRISE, "MODULE-IDENTITY")


def test_every_served_oid_is_defined_in_the_shipped_mibs() -> None:
    view = build_view(json.loads(STATUS.read_text()), "1.2.3")
    defined = {oid for oid, macro in our_mib().values() if macro == "OBJECT-TYPE"}
    defined |= ntp_subset()
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
    tree["timing"]["sync_state"] = "HOLDOVER"
    assert build_view(tree, "").get((*ENTERPRISE, 1, 1, 1, 0)).value == 3
    del tree["ntp"]
    assert build_view(tree, "").get((*ENTERPRISE, 1, 4, 1, 0)).type == ValueType.NO_SUCH_OBJECT
