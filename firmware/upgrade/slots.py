"""The two firmware slots in the data directory and the state file the boot loader reads.

`slots/a` and `slots/b` are each a complete virtual environment of one firmware bundle;
`slots/state.json` (written atomically) names the active one, whether it is on trial and
how many boots it has left, the slot to go back to, and the active firmware's version and
signing key. No slot active means the base install runs (the one the appliance was
installed with). A slot counts only once its `slot.json` is there: the install writes it
last, so a slot cut short by a crash is never booted.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from firmware import __version__
from firmware.base.atomic_file import write_atomic
from firmware.base.small_file import UnreadableFile, read_regular_file
from firmware.upgrade.bundle import BundleError, numeric_version

SLOTS_DIR = "slots"
STATE_FILE = "state.json"
SEEN_BASE_FILE = "base_version"
"""The base install's version the boot loader saw at its last boot: a different one means a
new image on this data directory. A file of its own, so that the state file stays readable by
firmware already in the slots."""
SLOT_FILE = "slot.json"
SLOT_NAMES = ("a", "b")
BASE = ""
"""The active "slot" when none is: the base install."""
UPLOAD_DIR = "upload"
"""Where SFTP puts bundles; `firmware install NAME` looks there for a plain name."""
SLOT_VARIABLE = "TIMESERVER_SLOT"
"""Set by the boot loader for the slot it runs: that process must not load a slot again."""


@dataclass(frozen=True)
class SlotState:
    active: str = BASE
    trial: bool = False
    boots_left: int = 0
    previous: str = BASE
    """Where a rollback goes: a slot, or the base install."""
    version: str = ""
    """The active slot's firmware version (empty for the base install)."""
    key_id: str = ""
    """The key that signed the active slot's bundle."""
    sync_baseline: str = ""
    """The sync state when the firmware on trial was installed: it must get back there."""
    rolled_back: str = ""
    """Why the last rollback happened, until the firmware that runs after it has said so."""

    def encode(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode() + b"\n"


def slots_dir(data_dir: Path) -> Path:
    return data_dir / SLOTS_DIR


def slot_path(data_dir: Path, name: str) -> Path:
    return slots_dir(data_dir) / name


def load_state(data_dir: Path) -> SlotState:
    """The state file; the base install when there is none. A file that cannot be read
    (which an atomic write never leaves) also means the base install, with the reason."""
    path = slots_dir(data_dir) / STATE_FILE
    if not path.exists():
        return SlotState()
    try:
        fields = json.loads(read_regular_file(path))
        state = SlotState(**fields)
    except (UnreadableFile, OSError, ValueError, TypeError) as exc:
        return SlotState(rolled_back=f"{path} is unreadable ({exc}); the base install runs")
    if state.active not in (*SLOT_NAMES, BASE) or state.previous not in (*SLOT_NAMES, BASE):
        return SlotState(rolled_back=f"{path} names no slot; the base install runs")
    return state


def save_state(data_dir: Path, state: SlotState) -> None:
    slots_dir(data_dir).mkdir(mode=0o700, exist_ok=True)
    write_atomic(slots_dir(data_dir) / STATE_FILE, state.encode(), 0o644)


@dataclass(frozen=True)
class SlotInfo:
    version: str
    key_id: str
    installed_at: str

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode() + b"\n"


def slot_info(data_dir: Path, name: str) -> SlotInfo | None:
    """The firmware in slot `name`, or None when the slot is empty or incomplete."""
    if name not in SLOT_NAMES:
        return None
    path = slot_path(data_dir, name)
    if not (path / "bin" / "timeserver").is_file():
        return None
    try:
        return SlotInfo(**json.loads(read_regular_file(path / SLOT_FILE)))
    except (UnreadableFile, OSError, ValueError, TypeError):
        return None


def base_info(prefix: Path | None = None) -> SlotInfo | None:
    """The signed bundle the base install came from, when whoever installed it verified one
    and recorded it (`firmware verify --record`, as the container image's build does) and
    it is the version running: None otherwise. The record lies in the install's own prefix,
    which the appliance's user cannot write in an image."""
    path = (prefix or Path(sys.prefix)) / SLOT_FILE
    try:
        info = SlotInfo(**json.loads(read_regular_file(path)))
    except (UnreadableFile, OSError, ValueError, TypeError):
        return None
    return info if info.version == __version__ else None


def record_base(version: str, key_id: str, prefix: Path | None = None) -> Path:
    """Record that this install (the running interpreter's prefix) came from a verified
    bundle: only when the bundle's version is the one installed here."""
    if version != __version__:
        raise BundleError(f"this install runs firmware {__version__}, the bundle holds "
                          f"{version}: not recorded")  # fmt: skip
    path = (prefix or Path(sys.prefix)) / SLOT_FILE
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_atomic(path, SlotInfo(version, key_id, stamp).encode(), 0o644)
    return path


def seen_base(data_dir: Path) -> str:
    """The base install's version at the loader's last boot ("" when not known)."""
    try:
        return read_regular_file(slots_dir(data_dir) / SEEN_BASE_FILE).decode().strip()
    except (UnreadableFile, OSError, ValueError):
        return ""


def remember_base(data_dir: Path, version: str) -> None:
    """Keep the base install's version for the next boot, once a slot was ever installed
    (without one there is nothing to decide); a failed write leaves it unknown."""
    if slots_dir(data_dir).is_dir() and seen_base(data_dir) != version:
        with contextlib.suppress(OSError):
            write_atomic(slots_dir(data_dir) / SEEN_BASE_FILE, f"{version}\n".encode(), 0o644)


def inactive_slot(state: SlotState) -> str:
    """Where an install goes: never the active slot; the base install counts as slot a's
    stand-in, so the first install goes to b."""
    return "a" if state.active == "b" else "b"


@dataclass(frozen=True)
class Decision:
    run: str
    """The slot to run, or BASE."""
    state: SlotState
    """The state to write before running it (the boot counted, or the rollback)."""
    why: str = ""
    """Why the loader went back, when it did."""


def decide(
    state: SlotState, complete: set[str], base_version: str = "", base_seen: str = ""
) -> Decision:
    """What the boot loader runs: the active slot (counting a boot while on trial), or the
    previous one when the slot is incomplete or its trial boots are used up. `complete`
    names the slots that hold a whole firmware. The base install, when it changed since the
    last boot the loader remembers (`base_seen`, "" when none) and is newer than the active
    slot's firmware, runs instead: a container image replaced by a newer one keeps its data
    directory, slots included, and must not go on running the older slot; an unchanged base
    leaves a downgrade the admin chose in place. Free of I/O."""
    if state.active == BASE:
        return Decision(BASE, state)
    if _newer_base(state, base_version, base_seen):
        why = (
            f"the base install's firmware {base_version} is newer than {state.version} in "
            f"slot {state.active} (a new image on this data directory): the base install runs"
        )
        return Decision(BASE, SlotState(rolled_back=f"moved on from slot {state.active}: {why}"),
                        why)  # fmt: skip
    if state.active not in complete:
        why = f"slot {state.active} does not hold a complete firmware"
        return roll_back(state, complete, why)
    if not state.trial:
        return Decision(state.active, state)
    if state.boots_left <= 0:
        why = (
            f"firmware {state.version} in slot {state.active} booted without committing "
            "itself as many times as [firmware] trial_boots allows"
        )
        return roll_back(state, complete, why)
    return Decision(state.active, replace(state, boots_left=state.boots_left - 1))


def _newer_base(state: SlotState, base_version: str, base_seen: str) -> bool:
    """Only a base install that changed since a boot the loader remembers: with no boot
    remembered (the first restart after the first install) the slot just installed runs,
    a downgrade included."""
    if not base_version or not base_seen or base_version == base_seen:
        return False
    return numeric_version(base_version) > numeric_version(state.version or "0")


def roll_back(state: SlotState, complete: set[str], why: str) -> Decision:
    """Go back to the previous slot (the base install if it is not whole any more)."""
    target = state.previous if state.previous in complete else BASE
    back = SlotState(
        active=target, previous=BASE, rolled_back=f"rolled back from firmware "
        f"{state.version or '(unknown)'} in slot {state.active}: {why}",
    )  # fmt: skip
    return Decision(target, back, why)


def complete_slots(data_dir: Path) -> set[str]:
    return {name for name in SLOT_NAMES if slot_info(data_dir, name) is not None}


def with_slot_identity(data_dir: Path, state: SlotState) -> SlotState:
    """The state with the version and key of the slot it names (empty for the base)."""
    info = slot_info(data_dir, state.active)
    if info is None:
        return replace(state, version="", key_id="")
    return replace(state, version=info.version, key_id=info.key_id)


def committed(state: SlotState) -> SlotState:
    """The firmware on trial kept: no more boots counted, the previous slot kept for a
    manual rollback."""
    return replace(state, trial=False, boots_left=0, sync_baseline="")
