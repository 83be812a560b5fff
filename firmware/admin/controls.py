"""What the command line may touch, handed in by the composition root (firmware/boot.py):
the admin layer imports no service and no device."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from firmware.admin.confirmed import ConfirmedCommits
from firmware.admin.users import UserStore
from firmware.base.config.store import ConfigStore
from firmware.base.events import EventBus, EventLog
from firmware.base.status import StatusTree
from firmware.panel.lock import KeypadLock


@dataclass
class NtpKeyControls:
    listing: Callable[[], list[tuple[int, str]]]
    add: Callable[[int, str, str], str]
    """(key id, type, key text as in the keys file) -> a warning about the key, or "" """
    remove: Callable[[int], None]


@dataclass
class Controls:
    hostname: str
    data_dir: Path
    bus: EventBus
    status: Callable[[], StatusTree]
    store: ConfigStore
    reload: Callable[[], None]
    """Apply the stored config to the running services (restarts only what changed)."""
    users: UserStore
    keypad: KeypadLock | None
    ntp_keys: NtpKeyControls
    events: EventLog
    commits: ConfirmedCommits
    """The pending commit confirmed, if any: how every config change commits."""
    gps_inject: Callable[[str], None] | None = None
    panel: Callable[[str | None], list[str]] | None = None
    """Press a key (or None) and return the display lines."""
    restart_service: Callable[[str], None] | None = None
    restart_all: Callable[[], None] | None = None
    factory_reset: Callable[[], None] | None = None
    firmware_restart: Callable[[Callable[[], None] | None], None] | None = None
    """Run the work given (a firmware install) away from the event loop, then restart
    through the boot loader; a failure is an event and the appliance runs on."""
