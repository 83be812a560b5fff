"""What the subagent serves: part of the NTPv4-MIB (RFC 5907; its names and numbers are
listed in mibs/NTPv4-MIB-NAMES.txt) and our enterprise MIB (mibs/TIMESERVER-MIB.txt), built
from the same status tree `status` shows. A value the tree does not have is left out, never
made up.

The served time (ntpEntStatusDateTime) is passed in with the tree, read when the view is
built: nothing here reads a clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from services.ntp.packet import Mode, ns_to_date
from services.snmp.agentx import Oid, ValueType, VarBind
from services.snmp.mib_view import MibView

ENTERPRISE: Oid = (1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 123)
"""Our MIB's root, under net-snmp's experimental playpen until the project holds an IANA
enterprise number: change it here and in mibs/TIMESERVER-MIB.txt (tsMIB)."""

NTP_MIB: Oid = (1, 3, 6, 1, 2, 1, 197)
NTP_INFO = (*NTP_MIB, 1, 1)
NTP_STATUS = (*NTP_MIB, 1, 2)
PKT_MODE_ENTRY = (*NTP_STATUS, 17, 1)
TS_SYNC = (*ENTERPRISE, 1, 1)
TS_GPS = (*ENTERPRISE, 1, 2)
TS_SERVICE_ENTRY = (*ENTERPRISE, 1, 3, 1)
TS_NTP = (*ENTERPRISE, 1, 4)
SUBTREES = (NTP_MIB, ENTERPRISE)
"""What the subagent registers with snmpd."""

PRECISION = -20
SERVICES = ("control", "syslog", "timing", "gps", "ntp", "daytime", "time", "ssh", "telnet",
            "snmp", "https", "ptp", "panel", "console")  # fmt: skip
"""Row indexes of tsServiceTable (1-based), fixed so that a row keeps its index."""

SYNC_STATES = {"FREERUN": 1, "LOCKED": 2, "HOLDOVER": 3, "UNSYNC": 4}
NTP_MODES = {"FREERUN": 2, "LOCKED": 5, "HOLDOVER": 4, "UNSYNC": 2}
"""ntpEntStatusCurrentMode: notSynchronized(2), syncToLocal(4) in holdover, syncToRefclock(5)."""
LEAPS = {"none": 1, "insert": 2, "delete": 3}
LEAP_DIRECTIONS = {"none": 0, "insert": 1, "delete": -1}
FIXES = {"NONE": 1, "TWO_D": 2, "THREE_D": 3}
ANTENNAS = {"ok": 1, "open": 2, "short": 3, "unknown": 4}
SERVICE_STATES = {"running": 1, "starting": 2, "retrying": 3, "stopped": 4}
NTP_COUNTERS = ("served", "denied", "rate_limited", "kod_sent", "bad_mac", "malformed",
                "authenticated", "served_stale", "bad_version")  # fmt: skip
"""tsNtpServed .. tsNtpBadVersion, in this order."""

GAUGE_MAX = 2**32 - 1
LEAP_ALARM = 3
"""The leap indicator of a server that is not synchronised."""
NO_LEAP_DATE = bytes(16)
"""ntpEntStatusLeapSecond while no leap second is announced: RFC 5907 wants it 0."""
Section = Mapping[str, Any]


def _gauge(value: Any) -> int:
    return max(0, min(int(value), GAUGE_MAX))


def _text(value: str) -> bytes:
    return value.encode("utf-8", "replace")[:255]


def _ms(ns: Any) -> bytes:
    return f"{int(ns) / 1e6:.6f} ms".encode()


def ntp_in_packets(ntp: Section) -> int:
    """Requests the NTP service counted, each once (ntpEntStatusInPkts): `served_stale`
    is a part of `served`, not a count of its own."""
    names = ("served", "denied", "rate_limited", "bad_mac", "mode6", "mode7",
             "malformed", "bad_version", "other_modes")  # fmt: skip
    return sum(int(ntp[name]) for name in names)


def ntp_out_packets(ntp: Section) -> int:
    """Replies the NTP service sent (ntpEntStatusOutPkts)."""
    return sum(int(ntp[name]) for name in ("served", "kod_sent", "mode6"))


def _info(version: str) -> Iterator[VarBind]:
    yield VarBind(ValueType.OCTET_STRING, (*NTP_INFO, 1, 0), b"timeserver")
    yield VarBind(ValueType.OCTET_STRING, (*NTP_INFO, 2, 0), _text(version))
    yield VarBind(ValueType.OCTET_STRING, (*NTP_INFO, 3, 0), b"timeserver project")
    yield VarBind(ValueType.OCTET_STRING, (*NTP_INFO, 4, 0), b"GPS time server appliance")
    yield VarBind(ValueType.GAUGE32, (*NTP_INFO, 5, 0), 1_000_000_000)
    yield VarBind(ValueType.INTEGER, (*NTP_INFO, 6, 0), PRECISION)


def _ntp_status(timing: Section, ntp: Section | None) -> Iterator[VarBind]:
    # ntpEntTimeDistance: root delay / 2 + root dispersion; a stratum 1 server has no root
    # delay, so the distance is its dispersion.
    yield VarBind(ValueType.OCTET_STRING, (*NTP_INFO, 7, 0), _ms(timing["root_dispersion_ns"]))
    state = timing["sync_state"]
    mode = NTP_MODES.get(state, 2) if ntp is not None and ntp.get("state") == "running" else 1
    yield VarBind(ValueType.INTEGER, (*NTP_STATUS, 1, 0), mode)
    yield VarBind(ValueType.GAUGE32, (*NTP_STATUS, 2, 0), int(timing["stratum"]))
    yield VarBind(ValueType.GAUGE32, (*NTP_STATUS, 3, 0), 0)
    yield VarBind(ValueType.OCTET_STRING, (*NTP_STATUS, 4, 0), _text(str(timing["refid"])))
    if isinstance(timing.get("last_offset_ns"), int):
        # ntpEntStatusActiveOffset: the last offset of served time to the GPS/PPS reference.
        yield VarBind(ValueType.OCTET_STRING, (*NTP_STATUS, 5, 0), _ms(timing["last_offset_ns"]))
    yield VarBind(ValueType.GAUGE32, (*NTP_STATUS, 6, 0), 1)
    yield VarBind(ValueType.OCTET_STRING, (*NTP_STATUS, 7, 0), _ms(timing["root_dispersion_ns"]))
    direction = LEAP_DIRECTIONS.get(str(timing["leap_pending"]), 0)
    yield VarBind(ValueType.INTEGER, (*NTP_STATUS, 11, 0), direction)
    if ntp is not None and "served" in ntp:
        yield VarBind(ValueType.COUNTER32, (*NTP_STATUS, 12, 0), ntp_in_packets(ntp) & GAUGE_MAX)
        yield VarBind(ValueType.COUNTER32, (*NTP_STATUS, 13, 0), ntp_out_packets(ntp) & GAUGE_MAX)
        bad_version = int(ntp["bad_version"]) & GAUGE_MAX
        yield VarBind(ValueType.COUNTER32, (*NTP_STATUS, 14, 0), bad_version)
        yield VarBind(ValueType.COUNTER32, (*NTP_STATUS, 15, 0), int(ntp["malformed"]) & GAUGE_MAX)


def _ntp_times(timing: Section, ntp: Section | None, served_ns: int | None) -> Iterator[VarBind]:
    """ntpEntStatusEntityUptime, ntpEntStatusDateTime and ntpEntStatusLeapSecond."""
    if ntp is not None and isinstance(ntp.get("uptime_s"), int | float):
        # TimeTicks count hundredths of a second, modulo 2^32 (RFC 2578).
        ticks = round(float(ntp["uptime_s"]) * 100) & GAUGE_MAX
        yield VarBind(ValueType.TIME_TICKS, (*NTP_STATUS, 8, 0), ticks)
    if served_ns is not None:
        # NtpDateTime is a zero-length string while time is not synchronised.
        synchronised = timing.get("leap_indicator", LEAP_ALARM) != LEAP_ALARM
        now = ns_to_date(served_ns) if synchronised else b""
        yield VarBind(ValueType.OCTET_STRING, (*NTP_STATUS, 9, 0), now)
    if "leap_at_ns" in timing:
        at = timing["leap_at_ns"]
        leap = ns_to_date(at) if isinstance(at, int) else NO_LEAP_DATE
        yield VarBind(ValueType.OCTET_STRING, (*NTP_STATUS, 10, 0), leap)


def _pkt_modes(ntp: Section | None) -> Iterator[VarBind]:
    """ntpEntStatPktModeTable, as far as the counters go: mode 3 (client) packets received
    and mode 4 (server) packets sent. Nothing counts the modes of the other packets apart
    (`other_modes` lumps 1, 2, 4 and 5), and mode 6 and 7 are no rows of the table."""
    if ntp is None or "client_requests" not in ntp:
        return
    received = int(ntp["client_requests"]) & GAUGE_MAX
    yield VarBind(ValueType.COUNTER32, (*PKT_MODE_ENTRY, 3, int(Mode.CLIENT)), received)
    sent = int(ntp["server_replies"]) & GAUGE_MAX
    yield VarBind(ValueType.COUNTER32, (*PKT_MODE_ENTRY, 2, int(Mode.SERVER)), sent)


def _sync(timing: Section) -> Iterator[VarBind]:
    yield VarBind(ValueType.INTEGER, (*TS_SYNC, 1, 0), SYNC_STATES.get(timing["sync_state"], 4))
    yield VarBind(ValueType.GAUGE32, (*TS_SYNC, 2, 0), _gauge(timing["est_error_ns"]))
    yield VarBind(ValueType.GAUGE32, (*TS_SYNC, 3, 0), _gauge(timing["holdover_s"]))
    yield VarBind(ValueType.INTEGER, (*TS_SYNC, 4, 0), LEAPS.get(timing["leap_pending"], 1))
    yield VarBind(ValueType.INTEGER, (*TS_SYNC, 5, 0), int(timing["ptp_clock_class"]))
    ppb = round(float(timing["frequency_ppm"]) * 1000)
    yield VarBind(ValueType.INTEGER, (*TS_SYNC, 6, 0), max(-(2**31), min(ppb, 2**31 - 1)))
    yield VarBind(ValueType.GAUGE32, (*TS_SYNC, 7, 0), _gauge(timing["root_dispersion_ns"]))


def _gps(gps: Section) -> Iterator[VarBind]:
    if "fix" not in gps:
        return
    yield VarBind(ValueType.INTEGER, (*TS_GPS, 1, 0), FIXES.get(gps["fix"], 1))
    yield VarBind(ValueType.GAUGE32, (*TS_GPS, 2, 0), _gauge(gps["satellites_used"]))
    yield VarBind(ValueType.GAUGE32, (*TS_GPS, 3, 0), _gauge(gps["satellites_in_view"]))
    yield VarBind(ValueType.INTEGER, (*TS_GPS, 4, 0), ANTENNAS.get(gps["antenna"], 4))
    yield VarBind(ValueType.INTEGER, (*TS_GPS, 5, 0), 1 if gps["valid"] else 2)


def _services(tree: Mapping[str, Section]) -> Iterator[VarBind]:
    for index, name in enumerate(SERVICES, start=1):
        section = tree.get(name)
        if section is None or "state" not in section:
            continue
        yield VarBind(ValueType.OCTET_STRING, (*TS_SERVICE_ENTRY, 2, index), name.encode())
        state = SERVICE_STATES.get(str(section["state"]), 2)
        yield VarBind(ValueType.INTEGER, (*TS_SERVICE_ENTRY, 3, index), state)
        restarts = int(section.get("restarts", 0)) & GAUGE_MAX
        yield VarBind(ValueType.COUNTER32, (*TS_SERVICE_ENTRY, 4, index), restarts)


def _ntp_counters(ntp: Section | None) -> Iterator[VarBind]:
    if ntp is None or "served" not in ntp:
        return
    for column, name in enumerate(NTP_COUNTERS, start=1):
        yield VarBind(ValueType.COUNTER64, (*TS_NTP, column, 0), int(ntp[name]))


def build_view(tree: Mapping[str, Section], version: str, served_ns: int | None = None) -> MibView:
    """Every object of both MIBs that the status tree has a value for; `served_ns` is the
    served time at this moment, if the caller has a served clock."""
    varbinds = list(_info(version))
    timing, ntp = tree.get("timing"), tree.get("ntp")
    if timing is not None and "sync_state" in timing:
        varbinds += [*_ntp_status(timing, ntp), *_ntp_times(timing, ntp, served_ns)]
        varbinds += _sync(timing)
    varbinds += [
        *_gps(tree.get("gps", {})),
        *_services(tree),
        *_pkt_modes(ntp),
        *_ntp_counters(ntp),
    ]
    return MibView(varbinds)


def view_source(
    status: Callable[[], Mapping[str, Section]], version: str,
    served_ns: Callable[[], int] | None = None,
) -> Callable[[], MibView]:  # fmt: skip
    """Views from the live status tree and the served clock, one per call."""
    if served_ns is None:
        return lambda: build_view(status(), version)
    clock = served_ns
    return lambda: build_view(status(), version, clock())
