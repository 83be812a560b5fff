"""Which events become notifications and what they carry; every notification and object
they name is defined in the shipped MIB files."""

import json
from pathlib import Path

import pytest

from firmware.base.events import Event, Severity
from services.snmp.agentx import ValueType, VarBind
from services.snmp.notifications import NOTIFIERS, SNMP_TRAP_OID, notifications_for
from services.snmp.objects import ENTERPRISE, NTP_MIB, build_view
from tests.services.snmp.test_objects import ntp_mib, our_mib

STATUS = Path(__file__).resolve().parents[2] / "data" / "snmp_status.json"
VIEW = build_view(json.loads(STATUS.read_text()), "1.2.3")


def event(kind: str, message: str = "m", **fields: str) -> Event:
    return Event(0, kind, Severity.NOTICE, message, fields)


def trap_oids(found: list[tuple[VarBind, ...]]) -> list[object]:
    assert all(n[0].name == SNMP_TRAP_OID and n[0].type == ValueType.OBJECT_IDENTIFIER
               for n in found)  # fmt: skip
    return [n[0].value for n in found]


def values(notification: tuple[VarBind, ...]) -> dict[tuple[int, ...], object]:
    return {varbind.name: varbind.value for varbind in notification[1:]}


def test_losing_the_lock_sends_ours_and_the_ntp_mode_change() -> None:
    found = notifications_for(event("timing.holdover", **{"from": "LOCKED", "to": "HOLDOVER"}),
                              VIEW)  # fmt: skip
    assert trap_oids(found) == [(*ENTERPRISE, 0, 1), (*NTP_MIB, 0, 1)]
    ours, mode = found
    assert values(ours)[(*ENTERPRISE, 1, 5, 1, 0)] == 2
    assert values(ours)[(*ENTERPRISE, 1, 5, 2, 0)] == 3
    assert (*ENTERPRISE, 1, 1, 2, 0) in values(ours)  # the estimated error now
    assert values(mode) == {(*NTP_MIB, 1, 2, 1, 0): 4}  # syncToLocal


def test_a_state_change_the_ntp_mode_does_not_see_sends_ours_alone() -> None:
    found = notifications_for(event("timing.unsync", **{"from": "FREERUN", "to": "UNSYNC"}),
                              VIEW)  # fmt: skip
    assert trap_oids(found) == [(*ENTERPRISE, 0, 1)]


@pytest.mark.parametrize(
    ("old", "new", "stratum", "message"),
    [("FREERUN", "LOCKED", 1, b"stratum 16 -> 1"), ("HOLDOVER", "UNSYNC", 16, b"stratum 1 -> 16")],
)
def test_a_change_of_the_served_stratum_sends_the_ntp_stratum_change(
    old: str, new: str, stratum: int, message: bytes
) -> None:
    found = notifications_for(event(f"timing.{new.lower()}", **{"from": old, "to": new}), VIEW)
    assert trap_oids(found) == [(*ENTERPRISE, 0, 1), (*NTP_MIB, 0, 1), (*NTP_MIB, 0, 2)]
    assert values(found[2]) == {(*NTP_MIB, 1, 2, 2, 0): stratum, (*NTP_MIB, 1, 5, 1, 0): message}


def test_a_failed_login_names_user_and_source() -> None:
    (found,) = notifications_for(
        event("login.failed", "failed SSH login", user="admin", source="192.0.2.4"), VIEW
    )
    assert values(found) == {(*ENTERPRISE, 1, 5, 3, 0): b"admin",
                             (*ENTERPRISE, 1, 5, 4, 0): b"192.0.2.4",
                             (*ENTERPRISE, 1, 5, 5, 0): b"failed SSH login"}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("gps.antenna_fault", [(*ENTERPRISE, 0, 3)]), ("gps.antenna_ok", [(*ENTERPRISE, 0, 4)]),
     ("timing.leap_scheduled", [(*ENTERPRISE, 0, 5), (*NTP_MIB, 0, 7)]),
     ("service.crashed", [(*ENTERPRISE, 0, 6)]),
     ("config.committed", [(*ENTERPRISE, 0, 7), (*NTP_MIB, 0, 6)]),
     ("snmp.test", [(*ENTERPRISE, 0, 8)]), ("login.ok", []), ("snmp.auth_failed", [])],
)  # fmt: skip
def test_event_kinds(kind: str, expected: list[object]) -> None:
    assert trap_oids(notifications_for(event(kind), VIEW)) == expected


def test_long_and_foreign_text_is_cut_to_the_mib_s_sizes() -> None:
    (found,) = notifications_for(event("login.failed", "x" * 999, user="ü" * 99), VIEW)
    sizes = {name[-2]: len(value) for name, value in values(found).items()}  # type: ignore[arg-type]
    assert sizes == {3: 64, 4: 0, 5: 255}


def test_every_notification_and_object_sent_is_in_the_mibs() -> None:
    mibs = [*our_mib().values(), *ntp_mib().values()]
    defined = {oid for oid, macro in mibs if macro == "NOTIFICATION-TYPE"}
    objects = {oid for oid, macro in mibs if macro == "OBJECT-TYPE"}
    fields = {"from": "LOCKED", "to": "HOLDOVER", "user": "u", "source": "s"}
    for kind in NOTIFIERS:
        for notification in notifications_for(event(kind, **fields), VIEW):
            assert notification[0].value in defined
            assert [v.name for v in notification[1:] if v.name[:-1] not in objects] == []
