"""Which of the appliance's events become SNMP notifications, and their variable bindings
(TIMESERVER-MIB's and, where RFC 5907 has one, the NTPv4-MIB's), free of I/O. snmpd sends
them to every configured target; the subagent hands them over as AgentX Notify PDUs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from firmware.base.events import Event
from firmware.timing.sync_state import MAPPING, State
from services.snmp.agentx import Oid, ValueType, VarBind
from services.snmp.mib_view import MibView
from services.snmp.objects import ENTERPRISE, NTP_MIB, NTP_MODES, SYNC_STATES, TS_GPS, TS_SYNC

SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
TS_NOTIFICATIONS: Oid = (*ENTERPRISE, 0)
TS_NOTIF_OBJECTS: Oid = (*ENTERPRISE, 1, 5)
NTP_NOTIFICATIONS: Oid = (*NTP_MIB, 0)
NTP_NOTIF_MESSAGE: Oid = (*NTP_MIB, 1, 5, 1, 0)
NTP_CURRENT_MODE: Oid = (*NTP_MIB, 1, 2, 1, 0)
NTP_STRATUM: Oid = (*NTP_MIB, 1, 2, 2, 0)

SYNC_STATE_CHANGE, LOGIN_FAILED, ANTENNA_FAULT, ANTENNA_OK = 1, 2, 3, 4
LEAP_ANNOUNCED, SERVICE_FAILED, CONFIG_CHANGED, TEST = 5, 6, 7, 8
NTP_MODE_CHANGE, NTP_STRATUM_CHANGE, NTP_CONFIG_CHANGED, NTP_LEAP_ANNOUNCED = 1, 2, 6, 7
OLD_STATE, NEW_STATE, USER, SOURCE, MESSAGE = 1, 2, 3, 4, 5
MAX_TEXT = 255

Notification = tuple[VarBind, ...]
"""snmpTrapOID.0 first, then the notification's objects."""


def _trap(oid: Oid, *objects: VarBind) -> Notification:
    return (VarBind(ValueType.OBJECT_IDENTIFIER, SNMP_TRAP_OID, oid), *objects)


def _text(oid: Oid, value: str, limit: int = MAX_TEXT) -> VarBind:
    return VarBind(ValueType.OCTET_STRING, oid, value.encode("utf-8", "replace")[:limit])


def _ours(column: int, value: str, limit: int = MAX_TEXT) -> VarBind:
    return _text((*TS_NOTIF_OBJECTS, column, 0), value, limit)


def _state(column: int, state: str) -> VarBind:
    return VarBind(ValueType.INTEGER, (*TS_NOTIF_OBJECTS, column, 0), SYNC_STATES.get(state, 4))


def _current(view: MibView, oid: Oid) -> Iterator[VarBind]:
    """The object's value now, if the view has one."""
    varbind = view.get(oid)
    if varbind.type not in (ValueType.NO_SUCH_OBJECT, ValueType.NO_SUCH_INSTANCE):
        yield varbind


def _sync_change(event: Event, view: MibView) -> Iterator[Notification]:
    old, new = event.fields.get("from", ""), event.fields.get("to", "")
    yield _trap((*TS_NOTIFICATIONS, SYNC_STATE_CHANGE), _state(OLD_STATE, old),
                _state(NEW_STATE, new), *_current(view, (*TS_SYNC, 2, 0)))  # fmt: skip
    if NTP_MODES.get(old) != NTP_MODES.get(new):
        mode = VarBind(ValueType.INTEGER, NTP_CURRENT_MODE, NTP_MODES.get(new, 2))
        yield _trap((*NTP_NOTIFICATIONS, NTP_MODE_CHANGE), mode)
    old_stratum, new_stratum = _stratum(old), _stratum(new)
    if new_stratum is not None and old_stratum != new_stratum:
        stratum = VarBind(ValueType.GAUGE32, NTP_STRATUM, new_stratum)
        message = f"stratum {old_stratum if old_stratum is not None else '?'} -> {new_stratum}"
        yield _trap((*NTP_NOTIFICATIONS, NTP_STRATUM_CHANGE), stratum,
                    _text(NTP_NOTIF_MESSAGE, message))  # fmt: skip


def _stratum(state: str) -> int | None:
    """The stratum NTP serves in a sync state (firmware/timing/sync_state.py)."""
    mapping = MAPPING.get(State(state)) if state in State.__members__ else None
    return mapping.stratum if mapping is not None else None


def _login_failed(event: Event, _: MibView) -> Iterator[Notification]:
    yield _trap((*TS_NOTIFICATIONS, LOGIN_FAILED), _ours(USER, event.fields.get("user", ""), 64),
                _ours(SOURCE, event.fields.get("source", ""), 64),
                _ours(MESSAGE, event.message))  # fmt: skip


def _antenna(which: int) -> Callable[[Event, MibView], Iterator[Notification]]:
    def notifications(event: Event, view: MibView) -> Iterator[Notification]:
        yield _trap((*TS_NOTIFICATIONS, which), *_current(view, (*TS_GPS, 4, 0)),
                    _ours(MESSAGE, event.message))  # fmt: skip

    return notifications


def _leap(event: Event, view: MibView) -> Iterator[Notification]:
    yield _trap((*TS_NOTIFICATIONS, LEAP_ANNOUNCED), *_current(view, (*TS_SYNC, 4, 0)),
                _ours(MESSAGE, event.message))  # fmt: skip
    yield _trap((*NTP_NOTIFICATIONS, NTP_LEAP_ANNOUNCED), _text(NTP_NOTIF_MESSAGE, event.message))


def _service_failed(event: Event, _: MibView) -> Iterator[Notification]:
    yield _trap((*TS_NOTIFICATIONS, SERVICE_FAILED), _ours(MESSAGE, event.message))


def _config_changed(event: Event, _: MibView) -> Iterator[Notification]:
    yield _trap((*TS_NOTIFICATIONS, CONFIG_CHANGED), _ours(USER, event.fields.get("user", ""), 64),
                _ours(MESSAGE, event.message))  # fmt: skip
    yield _trap((*NTP_NOTIFICATIONS, NTP_CONFIG_CHANGED), _text(NTP_NOTIF_MESSAGE, event.message))


def _test(event: Event, _: MibView) -> Iterator[Notification]:
    yield _trap((*TS_NOTIFICATIONS, TEST), _ours(USER, event.fields.get("user", ""), 64),
                _ours(MESSAGE, event.message))  # fmt: skip


NOTIFIERS: dict[str, Callable[[Event, MibView], Iterator[Notification]]] = {
    "timing.locked": _sync_change,
    "timing.holdover": _sync_change,
    "timing.unsync": _sync_change,
    "timing.freerun": _sync_change,
    "login.failed": _login_failed,
    "gps.antenna_fault": _antenna(ANTENNA_FAULT),
    "gps.antenna_ok": _antenna(ANTENNA_OK),
    "timing.leap_scheduled": _leap,
    "service.crashed": _service_failed,
    "service.failed_to_start": _service_failed,
    "config.committed": _config_changed,
    "snmp.test": _test,
}
"""Event kind -> its notifications. An event not named here sends none."""


def notifications_for(event: Event, view: MibView) -> list[Notification]:
    """The notifications an event sends, with current values from `view`."""
    notifier = NOTIFIERS.get(event.kind)
    return list(notifier(event, view)) if notifier is not None else []
