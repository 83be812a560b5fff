"""The files a config names (leap file, NTP keys file, syslog CA file), checked at commit, so
that a change naming the wrong file is refused with the reason instead of breaking a service."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from pathlib import Path

from firmware.base.config import Config
from firmware.base.small_file import UnreadableFile, read_regular_file
from firmware.timing.leapfile import LeapFileError, load_leap_file
from services.ntp.keyring import KeyRing
from services.ntp.keys import KeysFileError


def _leap_file(config: Config, data_dir: Path) -> str | None:
    path = config.timing.leap_file
    if not path:
        return None
    try:
        load_leap_file(Path(path))
    except LeapFileError as exc:
        return f"timing.leap_file: {exc}"
    return None


def _keys_file(config: Config, data_dir: Path) -> str | None:
    """NTP must be able to start: a named keys file exists, parses and holds a key."""
    ntp = config.services.ntp
    if not ntp.enabled:
        return None
    path = Path(ntp.keys_file) if ntp.keys_file else data_dir / "ntp.keys"
    try:
        read_regular_file(path)
        keys = KeyRing(path, ntp.trusted_keys).keys
    except (UnreadableFile, KeysFileError) as exc:
        if ntp.keys_file or not getattr(exc, "missing", False):
            return f"services.ntp.keys_file: {exc}; NTP could not start"
        return None
    if ntp.keys_file and not keys:
        return f"services.ntp.keys_file: {path} holds no keys; NTP could not start"
    return None


def _ca_file(config: Config, data_dir: Path) -> str | None:
    path = config.syslog.ca_file
    if not path:
        return None
    try:
        read_regular_file(Path(path))
        ssl.create_default_context(cafile=path)
    except UnreadableFile as exc:
        return f"syslog.ca_file: {exc}"
    except (ssl.SSLError, OSError, ValueError):
        return f"syslog.ca_file: {path}: not a PEM file of CA certificates"
    return None


# Which keys of a change make which file worth checking again.
CHECKS: dict[tuple[str, ...], Callable[[Config, Path], str | None]] = {
    ("timing.leap_file",): _leap_file,
    ("services.ntp.keys_file", "services.ntp.enabled", "services.ntp.trusted_keys"): _keys_file,
    ("syslog.ca_file",): _ca_file,
}


def check_named_files(config: Config, changed: Iterable[str], data_dir: Path) -> list[str]:
    """One line per file named by a changed key that the running appliance could not use."""
    changed = list(changed)
    problems = []
    for keys, check in CHECKS.items():
        if any(_covers(change, key) for change in changed for key in keys):
            problem = check(config, data_dir)
            if problem:
                problems.append(problem)
    return problems


def _covers(change: str, key: str) -> bool:
    """A change of `services.ntp` (a whole table) covers `services.ntp.keys_file` too."""
    return key == change or key.startswith(change + ".")
