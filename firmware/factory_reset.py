"""Factory reset: the files in the data directory that make this appliance someone's.

A reset survives being cut short (kill -9, power loss) at any point: it first writes a
marker, then erases, the serial number last, then removes the marker. A boot that finds the
marker finishes the erase before it reads anything, so the data directory is always either
as it was or as from the factory, never half of each.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from firmware.base.atomic_file import sync_directory, write_atomic
from firmware.base.events import EventBus, Severity

MARKER = "factory-reset.pending"
ERASED_ON_RESET = ("config.toml", "users.json", "keypad.json", "ssh_host_ed25519_key",
                   "ssh_host_ed25519_key.pub", "ssh_host_rsa_key", "ssh_host_rsa_key.pub",
                   "tls.pending.json", "tls.key", "tls.crt", "ntp.keys",
                   "ntp.keys.first-boot.sha256",
                   "rollback.toml", "authorized_keys",
                   "serial")  # fmt: skip
"""In erase order: `serial` last, since a data directory without it boots as new. The
users' authorized_keys go with the accounts: an old key must not log in to the new admin."""


def erase_for_reset(data_dir: Path, events: EventBus) -> None:
    """Config, accounts and keys erased; the next boot starts as from the factory."""
    write_atomic(data_dir / MARKER, b"config, accounts and keys are being erased\n")
    finish_reset(data_dir)
    events.emit(
        "appliance.factory_reset", Severity.WARNING,
        "factory reset: config, accounts and keys erased", security=True,
    )  # fmt: skip


def finish_reset(data_dir: Path) -> bool:
    """Erase what a reset erases if one was begun (the marker is there); True if it was.
    Safe to repeat: boot calls it first, to finish a reset that was cut short."""
    marker = data_dir / MARKER
    if not marker.exists():
        return False
    for name in ERASED_ON_RESET:
        path = data_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    sync_directory(data_dir)
    marker.unlink()
    sync_directory(data_dir)
    return True
