"""net-snmp's command-line clients (snmpget, snmpwalk, ...) against an agent on loopback,
each with its own empty config and persistent directory so the system's are never read."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.tools import require

AUTH = "auth-pass-123456"
PRIV = "priv-pass-123456"


@dataclass(frozen=True)
class SnmpUser:
    name: str = "nms"
    auth_passphrase: str = AUTH
    priv_passphrase: str = PRIV
    auth: str = "SHA-256"

    def toml(self) -> str:
        return (
            f'[[services.snmp.users]]\nname = "{self.name}"\nauth = "{self.auth}"\n'
            f'auth_passphrase = "{self.auth_passphrase}"\n'
            f'priv_passphrase = "{self.priv_passphrase}"\n'
        )

    def v3(self, level: str = "authPriv") -> list[str]:
        """Client options for this user at a security level."""
        options = ["-v3", "-l", level, "-u", self.name]
        if level != "noAuthNoPriv":
            options += ["-a", self.auth, "-A", self.auth_passphrase]
        if level == "authPriv":
            options += ["-x", "AES", "-X", self.priv_passphrase]
        return options


@dataclass(frozen=True)
class NetSnmp:
    home: Path
    """An empty directory: the clients' config path and persistent directory."""
    port: int
    address: str = "127.0.0.1"

    def run(
        self, program: str, options: list[str], *oids: str, timeout_s: float = 2.0
    ) -> subprocess.CompletedProcess[str]:
        self.home.mkdir(parents=True, exist_ok=True)
        environment = {"SNMPCONFPATH": str(self.home), "SNMP_PERSISTENT_DIR": str(self.home),
                       "MIBS": "", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}  # fmt: skip
        command = [require(program), *options, "-On", "-t", f"{timeout_s:g}", "-r", "0",
                   f"udp:{self.address}:{self.port}", *oids]  # fmt: skip
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s * 4 + 20, env=environment
        )

    def get(self, options: list[str], *oids: str) -> subprocess.CompletedProcess[str]:
        return self.run("snmpget", options, *oids)
