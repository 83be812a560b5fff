"""The boot loader's part of `timeserver boot`: run the active slot's firmware in place of
this process (os.execve: the same PID, so signals and supervisors still reach it), or go on
with the base install when no slot is active. A process the loader started carries
TIMESERVER_SLOT and never loads a slot again; when it wants the loader to decide anew (a
firmware installed, committed on trial failure, rolled back), it runs the loader's own
command again, which it finds in TIMESERVER_LOADER."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from firmware import __version__
from firmware.upgrade.slots import (
    BASE,
    SLOT_VARIABLE,
    complete_slots,
    decide,
    load_state,
    remember_base,
    save_state,
    seen_base,
    slot_path,
)

LOADER_VARIABLE = "TIMESERVER_LOADER"


def enter_active_slot(data_dir: Path, argv: list[str]) -> None:
    """Exec the firmware the state names with the same arguments; return when that is this
    install (the base, or a slot that is already running)."""
    if SLOT_VARIABLE in os.environ:
        return
    state = load_state(data_dir)
    decision = decide(state, complete_slots(data_dir), __version__, seen_base(data_dir))
    remember_base(data_dir, __version__)
    if decision.state != state:
        save_state(data_dir, decision.state)
    if decision.why:
        print(f"timeserver: boot loader: {decision.state.rolled_back}", file=sys.stderr)
    if decision.run == BASE:
        return
    program = slot_path(data_dir, decision.run) / "bin" / "timeserver"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env[SLOT_VARIABLE] = decision.run
    env[LOADER_VARIABLE] = json.dumps(_loader_command())
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(program, [str(program), *argv], env)


def running_slot() -> str:
    return os.environ.get(SLOT_VARIABLE, BASE)


def restart_through_loader(argv: list[str]) -> None:
    """Replace this process with the boot loader, given the same arguments."""
    command = _loader_command()
    env = {key: value for key, value in os.environ.items() if key != SLOT_VARIABLE}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], [*command, *argv], env)


def _loader_command() -> list[str]:
    """How the base install's `timeserver` runs: what the loader that started us recorded,
    or this interpreter's own when this is the base install."""
    recorded = os.environ.get(LOADER_VARIABLE, "")
    try:
        command = json.loads(recorded) if recorded else None
    except ValueError:
        command = None
    if isinstance(command, list) and command and all(isinstance(p, str) for p in command):
        return command
    return [sys.executable, "-m", "firmware.cli"]
