"""net-snmp's command-line clients (snmpget, snmpwalk, ...) against an agent on loopback,
each with its own empty config and persistent directory so the system's are never read."""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.tools import require, stop_process

AUTH = "auth-pass-123456"
PRIV = "priv-pass-123456"


def net_snmp_environment(config: Path, persistent: Path) -> dict[str, str]:
    """A net-snmp program's environment: only its own config and persistent directories, no
    MIB files (Debian ships none of the IETF ones)."""
    return {"SNMPCONFPATH": str(config), "SNMP_PERSISTENT_DIR": str(persistent), "MIBS": "",
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}  # fmt: skip


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
        environment = net_snmp_environment(self.home, self.home)
        command = [require(program), *options, "-On", "-t", f"{timeout_s:g}", "-r", "0",
                   f"udp:{self.address}:{self.port}", *oids]  # fmt: skip
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s * 4 + 20, env=environment
        )

    def get(self, options: list[str], *oids: str) -> subprocess.CompletedProcess[str]:
        return self.run("snmpget", options, *oids)


class TrapReceiver:
    """net-snmp's snmptrapd on loopback with one SNMPv3 user, printing what it receives
    (numeric OIDs, no MIB files) into a file the test reads."""

    def __init__(self, home: Path, port: int, user: SnmpUser) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home, self.port, self.output = home, port, home / "received.txt"
        conf = home / "snmptrapd.conf"
        conf.write_text(
            f"createUser {user.name} {user.auth} {user.auth_passphrase} AES "
            f"{user.priv_passphrase}\nauthUser log {user.name} authPriv\n"
        )
        environment = net_snmp_environment(home, home / "persist")
        with self.output.open("w") as out:
            self.process = subprocess.Popen(
                [require("snmptrapd"), "-f", "-Lo", "-On", "-C", "-c", str(conf), "-m", "",
                 "-p", str(home / "pid"), f"udp:127.0.0.1:{port}"],
                stdout=out, stderr=subprocess.STDOUT, env=environment,
            )  # fmt: skip

    def received(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, text: str, seconds: float = 20.0) -> str:
        """What it has received once `text` is among it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in (received := self.received()):
                return received
            if self.process.poll() is not None:
                raise AssertionError(f"snmptrapd exited: {received}")
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} among what snmptrapd received:\n{self.received()}")

    def stop(self) -> None:
        stop_process(self.process)


class PrivateSnmpd:
    """net-snmp's snmpd alone on a loopback port, with a minimal config of its own (one
    SNMPv3 user, authPriv, reading `views`) and no subagent: what snmpd serves by itself."""

    def __init__(self, home: Path, port: int, user: SnmpUser, views: tuple[str, ...]) -> None:
        persist = home / "persist"
        persist.mkdir(parents=True, exist_ok=True)
        self.client = NetSnmp(home / "client", port)
        conf = home / "snmpd.conf"
        conf.write_text(
            f"[snmp] persistentDir {persist}\nagentAddress udp:127.0.0.1:{port}\n"
            f'createUser {user.name} {user.auth} "{user.auth_passphrase}" AES '
            f'"{user.priv_passphrase}"\n'
            + "".join(f"view reference included .{view}\n" for view in views)
            + f"rouser -s usm {user.name} authpriv -V reference\n"
        )
        environment = net_snmp_environment(home, persist)
        self.process = subprocess.Popen(
            [require("snmpd"), "-f", "-Lo", "-C", "-c", str(conf), "-m", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment,
        )  # fmt: skip

    def wait_ready(self, options: list[str], oid: str, seconds: float = 10.0) -> None:
        """Until `oid` reads with `options` (snmpd answers once its config is read)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.client.get(options, oid).returncode == 0:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"snmpd exited {self.process.returncode}")
            time.sleep(0.1)
        raise RuntimeError(f"snmpd did not answer within {seconds:g} s")

    def stop(self) -> None:
        stop_process(self.process)
