"""The hardware: GPS receiver (with fault injection on the simulated one), front panel,
keypad lock."""

from __future__ import annotations

from typing import Any, get_args

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.shell import Reply
from hal.gps.types import GpsScenario


def gps(call: Call) -> Reply:
    args = call.args
    if args and args[0] == "inject":
        scenarios = get_args(GpsScenario)
        if len(args) != 2 or args[1] not in scenarios:
            return Reply.usage(f"usage: gps inject SCENARIO, one of {', '.join(scenarios)}")
        if call.controls.gps_inject is None:
            return Reply.failed("faults can only be injected into the simulated receiver")
        call.controls.gps_inject(args[1])
        return Reply(f"simulated receiver now in scenario {args[1]}")
    fields = call.controls.status().get("gps", {})
    if not fields:
        return Reply.failed("no GPS receiver running")
    keys = ("backend", "fix", "valid", "satellites_used", "satellites_in_view", "antenna",
            "leap_warning", "samples", "pps_edges", "bad_checksum", "malformed")  # fmt: skip
    lines = [f"{key:<19} {fields[key]}" for key in keys if key in fields]
    lines.append(f"{'position':<19} {_position(fields.get('position'))}")
    return Reply("\n".join([*lines, "", *_satellite_table(fields.get("satellites"))]))


def _position(where: Any) -> str:
    """48.11730 N 11.51670 E, 545.4 m: as a receiver's front panel shows it."""
    if not isinstance(where, dict):
        return "unknown (no fix)"
    lat, lon, alt = where["latitude"], where["longitude"], where.get("altitude")
    text = f"{abs(lat):.5f} {'N' if lat >= 0 else 'S'} {abs(lon):.5f} {'E' if lon >= 0 else 'W'}"
    return text + (f", {alt:.1f} m" if alt is not None else "")


def _satellite_table(satellites: Any) -> list[str]:
    """One row per satellite in view, the ones used in the fix first, strongest first."""
    if not isinstance(satellites, list) or not satellites:
        return ["no satellites in view"]
    rows = sorted(satellites, key=lambda s: (not s["used"], -(s["snr"] or 0), s["prn"]))
    lines = [" PRN  elevation  azimuth  SNR  used", "      degrees    degrees  dB-Hz"]
    for sat in rows:
        cells = [_cell(sat[name]) for name in ("elevation", "azimuth", "snr")]
        lines.append(
            f"{sat['prn']:>4}  {cells[0]:>9}  {cells[1]:>7}  {cells[2]:>3}  "
            f"{'yes' if sat['used'] else 'no'}"
        )
    return lines


def _cell(value: int | None) -> str:
    """A figure the receiver gave, or "-" where it gave none (not tracked yet)."""
    return "-" if value is None else str(value)


def panel(call: Call) -> Reply:
    if call.controls.panel is None:
        return Reply.failed("no front panel running")
    key = call.args[1] if len(call.args) == 2 and call.args[0] == "press" else None
    if call.args and key is None and call.args != ["show"]:
        return Reply.usage("usage: panel [show | press up|down|left|right|enter|back]")
    return Reply("\n".join(call.controls.panel(key)))


def keypad(call: Call) -> Reply:
    lock = call.controls.keypad
    if lock is None:
        return Reply.failed("this appliance has no front panel")
    args, user, source = call.args, call.session.user, call.session.source
    if args == ["lock"]:
        lock.lock(user, source)
    elif args == ["unlock"]:
        lock.unlock(user, source)
    elif len(args) == 2 and args[0] == "pin":
        lock.set_pin(args[1], user, source)
    elif args:
        return Reply.usage("usage: keypad [lock | unlock | pin DIGITS]")
    state = "locked" if lock.locked else "unlocked"
    return Reply(f"keypad {state}, PIN {'set' if lock.has_pin else 'not set'}")


COMMANDS = {
    "gps": Command("gps [inject SCENARIO]: fix, satellites, antenna; faults on the sim", gps,
                   writes=("inject",), subcommands=("inject",)),  # fmt: skip
    "panel": Command("panel [show | press KEY]: the front panel's display", panel,
                     writes=("press",), subcommands=("show", "press")),  # fmt: skip
    "keypad": Command("keypad [lock | unlock | pin DIGITS]", keypad,
                      writes=("lock", "unlock", "pin"), subcommands=("lock", "unlock", "pin")),
}  # fmt: skip
