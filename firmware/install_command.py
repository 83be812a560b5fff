"""`timeserver firmware install BUNDLE --data-dir DIR`: the same install as the admin
command line's, from a shell on the appliance. When an appliance runs on the data
directory, the sync state it had is the trial's baseline and it restarts into the new
firmware at once; otherwise the new firmware runs at the next boot."""

from __future__ import annotations

import argparse
import datetime
import getpass
import sys
import time
from pathlib import Path

from firmware import __version__
from firmware.base.config import SERVICE_NAMES, ConfigError, load_config
from firmware.control import ask
from firmware.upgrade.bundle import BundleError
from firmware.upgrade.install import apply_install, audit_install, check_install
from firmware.upgrade.slots import BASE, load_state


def add_arguments(install: argparse.ArgumentParser) -> None:
    install.add_argument("bundle", type=Path)
    install.add_argument("--data-dir", type=Path, required=True)
    install.add_argument(
        "--config", type=Path, default=None, help="config file (default: DATA_DIR/config.toml)"
    )
    install.add_argument(
        "--allow-downgrade",
        action="store_true",
        help="install an older firmware than the running one (audited)",
    )


def install(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    try:
        config = load_config(args.config or data_dir / "config.toml", SERVICE_NAMES, True)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    running = _running_status(data_dir)
    state = load_state(data_dir)
    version = str(running.get("firmware", {}).get("version") or "") if running else ""
    version = version or (state.version if state.active != BASE else __version__)
    try:
        plan = check_install(data_dir, args.bundle, version, args.allow_downgrade)
        audit_install(data_dir, plan, getpass.getuser(), "command line", time.time_ns())
        sync = str(running.get("timing", {}).get("sync_state", "")) if running else ""
        now = datetime.datetime.now(datetime.UTC)
        apply_install(data_dir, plan, config.firmware.trial_boots, sync, now)
    except BundleError as exc:
        print(f"timeserver firmware install: {exc}", file=sys.stderr)
        return 1
    manifest = plan.verified.manifest
    done = (f"firmware {manifest.firmware_version} signed by key {plan.verified.key_id} "
            f"installed in slot {plan.slot}, on trial")  # fmt: skip
    if running is not None and _ask(data_dir, {"command": "reboot-firmware"}) is not None:
        print(f"{done}; the appliance restarts into it now")
    else:
        print(f"{done}; it runs at the next boot")
    return 0


def _running_status(data_dir: Path) -> dict[str, dict[str, object]] | None:
    answer = _ask(data_dir, {"command": "status"})
    tree = answer.get("status") if answer else None
    return tree if isinstance(tree, dict) else None


def _ask(data_dir: Path, request: dict[str, object]) -> dict[str, object] | None:
    try:
        return ask(data_dir / "control.sock", request)
    except (OSError, ValueError):
        return None
