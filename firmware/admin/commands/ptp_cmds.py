"""ptp [status | slaves | counters]: the grandmaster's port, what it announces, the clocks
that ask it for the delay, and what it counted."""

from __future__ import annotations

import datetime
from typing import Any

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.shell import Reply

USAGE = "ptp [status | slaves | counters]"
SHOWN = ("interface", "domain", "clock_identity", "timestamping", "priority1", "priority2",
         "clock_class", "clock_accuracy", "offset_scaled_log_variance", "utc_offset",
         "time_source", "flags")  # fmt: skip
NOT_COUNTERS = frozenset(SHOWN) | {"port_state", "state_reason", "better_master", "slaves",
                                   "slaves_heard", "state", "restarts", "last_error"}  # fmt: skip


def ptp(call: Call) -> Reply:
    fields: dict[str, Any] = call.controls.status().get("ptp", {})
    if not fields or fields.get("state") != "running":
        return Reply.failed("PTP is not running (services enable ptp, with services.ptp.interface)")
    what = call.args[0] if call.args else "status"
    if what == "status":
        return Reply(_status(fields))
    if what == "slaves":
        return Reply(_slaves(fields))
    if what == "counters":
        counters = {k: v for k, v in fields.items() if k not in NOT_COUNTERS and isinstance(v, int)}
        return Reply("\n".join(f"{name:<22} {value}" for name, value in sorted(counters.items())))
    return Reply.usage(f"usage: {USAGE}")


def _status(fields: dict[str, Any]) -> str:
    state = f"{fields.get('port_state', '?')}: {fields.get('state_reason', '')}"
    if fields.get("better_master"):
        state += f" ({fields['better_master']})"
    lines = [f"{'port state':<27} {state}"]
    for name in SHOWN:
        value = fields.get(name, "")
        if name == "time_source":
            value = f"0x{int(value):02x}" + (" (GPS)" if value == 0x20 else "")
        elif name == "flags":
            value = ", ".join(value) or "none"
        lines.append(f"{name.replace('_', ' '):<27} {value}")
    lines.append(f"{'slaves heard':<27} {fields.get('slaves', 0)}")
    return "\n".join(lines)


def _slaves(fields: dict[str, Any]) -> str:
    heard = fields.get("slaves_heard") or []
    if not heard:
        return "no Delay_Req heard yet"
    lines = [f"{'address':<40} {'port identity':<26} {'requests':>9}  last request (host clock)"]
    for address, identity, requests, last_ns in heard:
        moment = datetime.datetime.fromtimestamp(last_ns / 1e9, datetime.UTC)
        lines.append(f"{address:<40} {identity:<26} {requests:>9}  {moment:%H:%M:%S}")
    return "\n".join(lines)


COMMANDS = {
    "ptp": Command(
        f"{USAGE}: the PTP grandmaster", ptp, subcommands=("status", "slaves", "counters")
    ),
}
