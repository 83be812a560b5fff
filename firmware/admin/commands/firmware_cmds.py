"""`firmware status|install|commit|rollback`: the two slots, installing a signed bundle into
the inactive one, keeping a firmware on trial, and going back to the previous one."""

from __future__ import annotations

import datetime
from functools import partial
from pathlib import Path

from firmware import __version__
from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.shell import Reply
from firmware.base.events import Severity
from firmware.upgrade.bundle import BundleError
from firmware.upgrade.install import Plan, apply_install, audit_install, check_install
from firmware.upgrade.slots import (
    BASE,
    SLOT_NAMES,
    committed,
    complete_slots,
    load_state,
    roll_back,
    save_state,
    slot_info,
)
from firmware.upgrade.upload_area import upload_path

USAGE = "firmware [status | install FILE [--allow-downgrade] | commit | rollback]"
"""FILE: a path, or the name of a file uploaded by SFTP."""


def firmware(call: Call) -> Reply:
    args = call.args
    if not args or args == ["status"]:
        return Reply(status_text(call))
    handler = ACTIONS.get(args[0])
    if handler is None:
        return Reply.usage(f"usage: {USAGE}")
    return handler(call)


def status_text(call: Call) -> str:
    data_dir = call.controls.data_dir
    running = call.controls.status().get("firmware", {})
    state = load_state(data_dir)
    lines = [f"running: firmware {__version__} from {running.get('slot', 'the base install')}"]
    if state.active != BASE:
        trial = f"on trial, {state.boots_left} boots left" if state.trial else "committed"
        lines.append(f"active: slot {state.active} ({trial}); rollback goes to "
                     f"{_where(state.previous)}")  # fmt: skip
    else:
        lines.append("active: the base install (no signed firmware installed)")
    for name in SLOT_NAMES:
        info = slot_info(data_dir, name)
        held = (f"firmware {info.version}, signed by key {info.key_id}, installed "
                f"{info.installed_at}") if info else "empty"  # fmt: skip
        lines.append(f"slot {name}: {held}")
    if running.get("rolled_back"):
        lines.append(f"last boot: {running['rolled_back']}")
    return "\n".join(lines)


def install(call: Call) -> Reply:
    words = call.args[1:]
    allow_downgrade = "--allow-downgrade" in words
    files = [word for word in words if word != "--allow-downgrade"]
    controls, data_dir = call.controls, call.controls.data_dir
    if controls.firmware_restart is None:
        return Reply.failed("firmware install is not available here")
    if len(files) != 1:
        return Reply.usage("usage: firmware install FILE [--allow-downgrade]")
    try:
        plan = check_install(data_dir, upload_path(data_dir, files[0]), __version__,
                             allow_downgrade)  # fmt: skip
    except BundleError as exc:
        return Reply.failed(f"firmware install refused: {exc}")
    audit_install(data_dir, plan, call.session.user, call.session.source,
                  controls.store.clock.now_ns())  # fmt: skip
    sync = str(controls.status().get("timing", {}).get("sync_state", ""))
    trial_boots = controls.store.config.firmware.trial_boots
    controls.firmware_restart(partial(_apply, data_dir, plan, trial_boots, sync))
    manifest = plan.verified.manifest
    return Reply(
        f"firmware {manifest.firmware_version} signed by key {plan.verified.key_id}: verified; "
        f"installing into slot {plan.slot}, then the appliance restarts into it on trial"
    )


def _apply(data_dir: Path, plan: Plan, trial_boots: int, sync: str) -> None:
    apply_install(data_dir, plan, trial_boots, sync, datetime.datetime.now(datetime.UTC))


def commit(call: Call) -> Reply:
    data_dir = call.controls.data_dir
    state = load_state(data_dir)
    if not state.trial:
        return Reply.failed("no firmware is on trial: nothing to commit")
    save_state(data_dir, committed(state))
    call.audit("firmware", f"firmware.slot_{state.active}", "on trial", "committed")
    call.controls.bus.emit(
        "firmware.committed", Severity.NOTICE,
        f"firmware {state.version} in slot {state.active} committed by {call.session.user}",
    )  # fmt: skip
    return Reply(f"firmware {state.version} in slot {state.active} is kept")


def rollback(call: Call) -> Reply:
    controls, data_dir = call.controls, call.controls.data_dir
    state = load_state(data_dir)
    if state.active == BASE:
        return Reply.failed("the base install is active: there is nothing to roll back to")
    if controls.firmware_restart is None:
        return Reply.failed("firmware rollback is not available here")
    back = roll_back(state, complete_slots(data_dir), f"by {call.session.user}")
    save_state(data_dir, back.state)
    call.audit("firmware", "firmware.active", _where(state.active), _where(back.run))
    controls.firmware_restart(None)
    return Reply(f"going back to {_where(back.run)}; the appliance restarts now", True)


def _where(slot: str) -> str:
    return f"slot {slot}" if slot else "the base install"


ACTIONS = {"install": install, "commit": commit, "rollback": rollback}

COMMANDS = {
    "firmware": Command(
        f"{USAGE}\n"
        "  install checks the bundle (signature, hashes, version, platform, disk) before it\n"
        "  touches anything, installs it into the inactive slot and restarts into it on\n"
        "  trial; the firmware commits itself once healthy, or the boot loader goes back.",
        firmware,
        writes=("install", "commit", "rollback"),
        subcommands=("status", "install", "commit", "rollback"),
    ),
}
