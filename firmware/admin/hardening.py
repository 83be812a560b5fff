"""The vendor hardening guide as checks: one line per recommendation, pass or fail and how
to fix it, or N/A and why it does not apply here (it then never fails the report). Read
from the config and the data directory only."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from firmware.admin.users import UserStore
from firmware.base.config.schema import Config
from firmware.panel.lock import KeypadLock
from firmware.upgrade.slots import load_state, slot_info

FIRST_BOOT_KEYS = "ntp.keys.first-boot.sha256"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    fix: str
    not_applicable: str = ""
    """Why the recommendation does not apply to this appliance; empty when it does."""

    @property
    def mark(self) -> str:
        return "N/A " if self.not_applicable else "PASS" if self.passed else "FAIL"


def all_passed(checks: list[Check]) -> bool:
    """The report passes when every check that applies passes."""
    return all(check.passed or check.not_applicable for check in checks)


def keys_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def hardening_checks(config: Config, data_dir: Path, keypad: KeypadLock | None) -> list[Check]:
    services = config.services
    users = UserStore(data_dir / "users.json")
    admin = users.load().get("admin") if users.exists() else None
    keys_file = Path(services.ntp.keys_file) if services.ntp.keys_file else data_dir / "ntp.keys"
    first_boot = (data_dir / FIRST_BOOT_KEYS).read_text().strip() if (
        data_dir / FIRST_BOOT_KEYS).exists() else ""  # fmt: skip
    host_keys = [data_dir / "ssh_host_ed25519_key", data_dir / "ssh_host_rsa_key"]
    admin_services = [s for s in (services.ssh, services.https, services.telnet) if s.enabled]
    tls_syslog = any(target.startswith("tls://") for target in config.syslog.targets)
    return [
        Check("admin password changed from the generated one",
              admin is not None and not admin.must_change_password,
              "log in as admin and set a new password (passwd)"),
        Check("unneeded protocols disabled (telnet, daytime, time, SNMP v1/v2c)",
              not any(s.enabled for s in (services.telnet, services.daytime, services.time,
                                          services.snmp)),
              "services disable telnet|daytime|time|snmp, then config commit"),
        Check("allow-lists on the admin services",
              all(s.allow for s in admin_services),
              "config set services.ssh.allow '[\"192.0.2.0/24\"]' (and https), then commit"),
        Check("telnet off and SSH on", not services.telnet.enabled and services.ssh.enabled,
              "services disable telnet; services enable ssh; config commit"),
        Check("SSH host keys unique to this device",
              all(k.exists() and k.stat().st_mode & 0o077 == 0 for k in host_keys),
              "remove the host keys from the data directory and reboot to make new ones"),
        Check("TLS 1.2 or newer only", True, "(enforced by the firmware)",
              "" if tls_syslog  # the only TLS this build speaks; HTTPS is to come
              else "no TLS service: no syslog target uses tls:// (this build has no HTTPS)"),
        Check("NTP keys replaced from the first-boot set and authentication required",
              keys_digest(keys_file) not in ("", first_boot)
              and any(rule.require_auth for rule in services.ntp.rules),
              "ntp keys add/remove to replace the keys; ntp rules add NETWORK require_auth; "
              "config commit"),
        Check("keypad locked", keypad is not None and keypad.locked,
              "keypad pin DIGITS; keypad lock",
              "" if keypad is not None else "this appliance has no front panel"),
        Check("remote syslog configured", bool(config.syslog.targets),
              "config set syslog.targets '[\"tls://logs.example:6514\"]', then commit"),
        firmware_signed(data_dir),
    ]  # fmt: skip


def firmware_signed(data_dir: Path) -> Check:
    """Passes when the firmware the boot loader runs came from a verified bundle (a slot
    holds only what passed verification), naming the key that signed it."""
    state = load_state(data_dir)
    info = slot_info(data_dir, state.active)
    if info is None:
        return Check("firmware image signed", False,
                     "the base install runs, which no bundle signed: install a signed bundle "
                     "(firmware install FILE)")  # fmt: skip
    return Check(
        f"firmware image signed: {info.version} in slot {state.active} by key {info.key_id}",
        True, "",
    )  # fmt: skip


def format_checks(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{check.mark}  {check.name}")
        if check.not_applicable:
            lines.append(f"      why: {check.not_applicable}")
        elif not check.passed:
            lines.append(f"      fix: {check.fix}")
    skipped = sum(bool(check.not_applicable) for check in checks)
    failed = sum(not (check.passed or check.not_applicable) for check in checks)
    passed = len(checks) - skipped - failed
    lines.append(f"{passed} passed, {failed} failed, {skipped} not applicable")
    return "\n".join(lines)
