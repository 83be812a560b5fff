"""Factory reset: the files in the data directory that make this appliance someone's."""

from __future__ import annotations

import contextlib
from pathlib import Path

from firmware.base.events import EventBus, Severity

ERASED_ON_RESET = ("config.toml", "users.json", "keypad.json", "serial", "ssh_host_ed25519_key",
                   "ssh_host_ed25519_key.pub", "ssh_host_rsa_key", "ssh_host_rsa_key.pub",
                   "tls.key", "tls.crt", "ntp.keys", "ntp.keys.first-boot.sha256",
                   "rollback.toml")  # fmt: skip


def erase_for_reset(data_dir: Path, events: EventBus) -> None:
    """Config, accounts and keys erased; the next boot starts as from the factory."""
    for name in ERASED_ON_RESET:
        with contextlib.suppress(FileNotFoundError):
            (data_dir / name).unlink()
    events.emit(
        "appliance.factory_reset", Severity.WARNING,
        "factory reset: config, accounts and keys erased", security=True,
    )  # fmt: skip
