"""The vendor hardening guide as checks: one line per recommendation, pass or fail and how
to fix it, or N/A and why it does not apply here (it then never fails the report). Read
from the config and the data directory only."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

from firmware.admin.users import UserStore
from firmware.base.config.schema import Config
from firmware.base.tls import certificate_problems, policy_problems, server_context
from firmware.panel.lock import KeypadLock
from firmware.upgrade.slots import BASE, base_info, load_state, slot_info

FIRST_BOOT_KEYS = "ntp.keys.first-boot.sha256"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    fix: str
    not_applicable: str = ""
    """Why the recommendation does not apply to this appliance; empty when it does."""
    advisory: bool = False
    """Falling short is a warning (WARN) that does not fail the report."""

    @property
    def mark(self) -> str:
        if self.not_applicable:
            return "N/A "
        return "PASS" if self.passed else "WARN" if self.advisory else "FAIL"

    @property
    def failed(self) -> bool:
        return not (self.passed or self.not_applicable or self.advisory)


def all_passed(checks: list[Check]) -> bool:
    """The report passes when every check that applies passes (warnings aside)."""
    return not any(check.failed for check in checks)


def keys_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def tls_check(https: bool, tls_syslog: bool, data_dir: Path) -> Check:
    """HTTPS's context built as the service builds it, from the key pair it serves, checked
    against the policy; syslog over TLS keeps the firmware's own client settings."""
    name = "TLS 1.2 or newer only, ECDHE + AEAD ciphers, a strong certificate"
    if not https:
        why = (
            ""
            if tls_syslog
            else "no TLS service: HTTPS is disabled and no syslog target uses tls://"
        )
        return Check(name, True, "(enforced by the firmware)", why)
    certificate, key = data_dir / "tls.crt", data_dir / "tls.key"
    try:
        problems = certificate_problems(certificate)  # before OpenSSL's terser refusal
        problems = problems or policy_problems(server_context(certificate, key))
    except (OSError, ValueError, ssl.SSLError) as exc:
        problems = [f"cannot load {certificate} and {key}: {exc}"]
    fix = f"HTTPS: {'; '.join(problems)} (https cert install a strong pair, or https cert reset)"
    return Check(name, not problems, fix)


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
              not any(s.enabled for s in (services.telnet, services.daytime, services.time))
              and not (services.snmp.enabled and services.snmp.v2c_community),
              "services disable telnet|daytime|time; config set services.snmp.v2c_community "
              "'\"\"' (SNMPv3 users stay); config commit"),
        Check("allow-lists on the admin services",
              all(s.allow for s in admin_services),
              "config set services.ssh.allow '[\"192.0.2.0/24\"]' (and https), then commit"),
        Check("PTP answers only listed networks (PTP has no authentication)",
              bool(services.ptp.allow),
              "config set services.ptp.allow '[\"192.0.2.0/24\"]', then commit",
              "" if services.ptp.enabled else "PTP is off", advisory=True),
        Check("telnet off and SSH on", not services.telnet.enabled and services.ssh.enabled,
              "services disable telnet; services enable ssh; config commit"),
        Check("SSH host keys unique to this device",
              all(k.exists() and k.stat().st_mode & 0o077 == 0 for k in host_keys),
              "remove the host keys from the data directory and reboot to make new ones"),
        tls_check(services.https.enabled, tls_syslog, data_dir),
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
    if info is not None:
        return Check(
            f"firmware image signed: {info.version} in slot {state.active} by key {info.key_id}",
            True, "",
        )  # fmt: skip
    base = base_info() if state.active == BASE else None
    if base is not None:
        return Check(
            f"firmware image signed: {base.version} in the base install (verified when it was "
            f"installed) by key {base.key_id}", True, "",
        )  # fmt: skip
    return Check("firmware image signed", False,
                 "the base install runs, which no bundle signed: install a signed bundle "
                 "(firmware install FILE)")  # fmt: skip


def format_checks(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{check.mark}  {check.name}")
        if check.not_applicable:
            lines.append(f"      why: {check.not_applicable}")
        elif not check.passed:
            lines.append(f"      fix: {check.fix}")
    skipped = sum(bool(check.not_applicable) for check in checks)
    failed = sum(check.failed for check in checks)
    warned = sum(check.mark == "WARN" for check in checks)
    passed = len(checks) - skipped - failed - warned
    summary = f"{passed} passed, {failed} failed, {skipped} not applicable"
    lines.append(summary + (f", {warned} warnings" if warned else ""))
    return "\n".join(lines)
