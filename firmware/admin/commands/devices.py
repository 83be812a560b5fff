"""The hardware: GPS receiver (with fault injection on the simulated one), front panel,
keypad lock."""

from __future__ import annotations

from typing import get_args

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
    return Reply("\n".join(f"{key:<19} {fields[key]}" for key in keys if key in fields))


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
    args, user = call.args, call.session.user
    if args == ["lock"]:
        lock.lock(user)
    elif args == ["unlock"]:
        lock.unlock(user)
    elif len(args) == 2 and args[0] == "pin":
        lock.set_pin(args[1], user)
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
