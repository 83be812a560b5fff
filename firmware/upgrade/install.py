"""Installing a firmware bundle into the inactive slot, in two halves.

`check_install` decides, touching nothing: the bundle is whole and signed by a trusted key,
it may replace the running version, it fits this interpreter and platform, and the disk
has room. Any refusal is one line (BundleError) and leaves the data directory as it was.
`apply_install` then writes, in an order that survives being killed at any point: the slot
being rewritten stops being a rollback target first, the virtual environment is made and
filled, its `slot.json` is written last, and only then does the state file (one atomic
write) make it the active slot, on trial. Until that write the old firmware boots.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from firmware.base.atomic_file import write_atomic
from firmware.base.config.audit import AuditLog
from firmware.upgrade.build import running_platform
from firmware.upgrade.bundle import (
    BundleError,
    Verified,
    extract_wheels,
    numeric_version,
    verify_bundle,
)
from firmware.upgrade.keys import TRUSTED_DIR, trusted_keys
from firmware.upgrade.slots import (
    BASE,
    SLOT_FILE,
    SlotInfo,
    SlotState,
    inactive_slot,
    load_state,
    save_state,
    slot_path,
    slots_dir,
)

INCOMING = ".incoming"
LOCK = ".install.lock"
ROOM_FACTOR = 5
"""Free space asked for, in bundle sizes: the unpacked wheels, pip, and the copy of them."""
ROOM_SPARE = 32 << 20
PIP_SECONDS = 600


def disk_free(path: Path) -> int:
    return shutil.disk_usage(path).free


@dataclass(frozen=True)
class Plan:
    """A bundle that passed every check, and where it goes."""

    bundle: Path
    verified: Verified
    slot: str
    running_version: str

    @property
    def downgrade(self) -> bool:
        return numeric_version(self.verified.manifest.firmware_version) < numeric_version(
            self.running_version
        )


def check_install(
    data_dir: Path,
    bundle: Path,
    running_version: str,
    allow_downgrade: bool = False,
    free_bytes: Callable[[Path], int] = disk_free,
) -> Plan:
    """The install plan for `bundle`, or BundleError with the one-line reason; no writes."""
    keys = trusted_keys(data_dir)
    if not keys:
        raise BundleError(f"no trusted firmware keys in {data_dir / TRUSTED_DIR}/")
    verified = verify_bundle(bundle, keys)
    manifest = verified.manifest
    abi, platform = running_platform()
    if (manifest.python_abi, manifest.platform) != (abi, platform):
        raise BundleError(
            f"built for {manifest.python_abi} {manifest.platform}; this appliance runs "
            f"{abi} {platform}"
        )
    if numeric_version(running_version) < numeric_version(manifest.min_upgrade_from):
        raise BundleError(
            f"firmware {manifest.firmware_version} upgrades only from "
            f"{manifest.min_upgrade_from} or newer; this appliance runs {running_version}"
        )
    state = load_state(data_dir)
    if state.trial:
        # Its way back is the slot the install would rewrite.
        raise BundleError(
            f"firmware {state.version} in slot {state.active} is on trial: commit it or roll "
            "it back first"
        )
    plan = Plan(bundle, verified, inactive_slot(state), running_version)
    if plan.downgrade and not allow_downgrade:
        raise BundleError(
            f"firmware {manifest.firmware_version} is older than the running "
            f"{running_version}; --allow-downgrade installs it anyway"
        )
    needed = ROOM_FACTOR * bundle.stat().st_size + ROOM_SPARE
    free = free_bytes(data_dir)
    if free < needed:
        raise BundleError(f"the disk has {free >> 20} MiB free; the install needs {needed >> 20}")
    return plan


def apply_install(
    data_dir: Path, plan: Plan, trial_boots: int, sync_baseline: str, now: datetime.datetime
) -> SlotState:
    """Install the checked bundle into its slot and make it the active one, on trial."""
    with _install_lock(data_dir):
        state = load_state(data_dir)
        if inactive_slot(state) != plan.slot:
            raise BundleError("another install changed the slots meanwhile; nothing installed")
        if state.previous == plan.slot:
            state = replace(state, previous=BASE)
            save_state(data_dir, state)
        target, incoming = slot_path(data_dir, plan.slot), slots_dir(data_dir) / INCOMING
        for stale in (target, incoming):
            if stale.exists():
                shutil.rmtree(stale)
        incoming.mkdir(mode=0o700)
        wheels = extract_wheels(plan.bundle, plan.verified.manifest, incoming)
        _run([sys.executable, "-m", "venv", str(target)], "make the virtual environment")
        _run(
            [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "--no-index", "--find-links", str(incoming),
             *map(str, wheels)],
            "install the wheels",
        )  # fmt: skip
        manifest = plan.verified.manifest
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        info = SlotInfo(manifest.firmware_version, plan.verified.key_id, stamp)
        write_atomic(target / SLOT_FILE, info.encode(), 0o644)
        shutil.rmtree(incoming)
        new = SlotState(
            active=plan.slot, trial=True, boots_left=trial_boots, previous=state.active,
            version=info.version, key_id=info.key_id, sync_baseline=sync_baseline,
        )  # fmt: skip
        save_state(data_dir, new)
        return new


def audit_install(data_dir: Path, plan: Plan, who: str, source: str, now_ns: int) -> None:
    """Every install in the audit log, a downgrade named as one."""
    kind = "firmware-downgrade" if plan.downgrade else "firmware"
    new = f"{plan.verified.manifest.firmware_version} (key {plan.verified.key_id})"
    AuditLog(data_dir / "audit.log").record(
        now_ns, who, source, f"firmware.slot_{plan.slot}", plan.running_version, new, kind
    )


@contextlib.contextmanager
def _install_lock(data_dir: Path) -> Iterator[None]:
    slots_dir(data_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(slots_dir(data_dir) / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BundleError("another firmware install is running") from None
        yield
    finally:
        os.close(fd)


def _run(command: list[str], what: str) -> None:
    """Run pip or venv with no configuration of this machine's: the bundle is the index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=PIP_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BundleError(f"could not {what}: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise BundleError(f"could not {what}: {last}")
