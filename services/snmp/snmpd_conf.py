"""The snmpd.conf the appliance writes from [services.snmp] at each start: net-snmp's snmpd
reads this file alone (`-C -c`), so nothing answers that is not configured here."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from firmware.base.config.schema import SnmpSection
from services.snmp.agentx import Oid

VIEW = "appliance"
"""The one view every user and community reads through; snmpd's own tables (USM, VACM,
targets, 1.3.6.1.6.3) are outside it."""

SYSTEM_GROUP = (1, 3, 6, 1, 2, 1, 1)
AGENT_ADDRESS = "127.0.0.1"
"""Where snmpd listens: loopback, so that only the front door (and this host) reach it."""

# net-snmp's names of the protocols our config allows.
AUTH_PROTOCOLS = {"SHA": "SHA", "SHA-256": "SHA-256", "SHA-512": "SHA-512"}
PRIV_PROTOCOLS = {"AES": "AES"}


@dataclass(frozen=True)
class SnmpdPlaces:
    """Where snmpd keeps its files, all inside the appliance's data directory."""

    directory: Path

    @property
    def conf(self) -> Path:
        return self.directory / "snmpd.conf"

    @property
    def agentx(self) -> Path:
        """The AgentX socket our subagent connects to (owner-only)."""
        return self.directory / "agentx.sock"

    @property
    def persistent(self) -> Path:
        """snmpd's persistent directory: engine ID, engine boots, localized user keys."""
        return self.directory / "persist"


def transport_address(address: str, port: int) -> str:
    """A bind address in net-snmp's transport syntax: udp:ADDR:PORT or udp6:[ADDR]:PORT."""
    if ipaddress.ip_address(address).version == 6:
        return f"udp6:[{address}]:{port}"
    return f"udp:{address}:{port}"


def snmpd_conf(
    section: SnmpSection, sys_name: str, places: SnmpdPlaces, agent_port: int,
    views: Sequence[Oid] = (), object_id: Oid = (),
) -> str:  # fmt: skip
    """The whole file: where to listen, the system group, the AgentX master socket, users,
    the v2c community. snmpd listens on loopback `agent_port` only, behind the front door
    (services/snmp/front_door.py), which listens where the config says. `views` are the
    subtrees readable besides the system group (the subagent's); `object_id` is sysObjectID."""
    lines = [
        "# Written by the appliance from [services.snmp] at each start; edits are lost.",
        f"[snmp] persistentDir {places.persistent}",
        f"agentAddress {transport_address(AGENT_ADDRESS, agent_port)}",
        "dontLogTCPWrappersConnects yes",
        "master agentx",
        f"agentXSocket unix:{places.agentx}",
        "agentXPerms 0600 0700",
        f"sysName {sys_name}",
        "sysServices 76",
    ]
    # snmpd refuses these tokens without a value; left out, the objects read as empty.
    lines += [f"sysContact {section.sys_contact}"] if section.sys_contact else []
    lines += [f"sysLocation {section.sys_location}"] if section.sys_location else []
    if object_id:
        lines.append(f"sysObjectID {_dotted(object_id)}")
    lines += [f"view {VIEW} included {_dotted(tree)}" for tree in (SYSTEM_GROUP, *views)]
    lines += _users(section)
    lines += _community(section)
    lines += _targets(section)
    return "\n".join(lines) + "\n"


def _dotted(oid: Oid) -> str:
    return "".join(f".{number}" for number in oid)


def _users(section: SnmpSection) -> list[str]:
    """SNMPv3 users: read-only through the view, and only with authentication and privacy."""
    lines = []
    for user in section.users:
        lines.append(
            f"createUser {user.name} {AUTH_PROTOCOLS[user.auth]} "
            f'"{user.auth_passphrase}" {PRIV_PROTOCOLS[user.priv]} "{user.priv_passphrase}"'
        )
        lines.append(f"rouser -s usm {user.name} authpriv -V {VIEW}")
    return lines


def _community(section: SnmpSection) -> list[str]:
    """The v2c community, for v2c alone (rocommunity would answer v1 too). Every request
    comes from the front door, which has applied the allow-list already."""
    community = section.v2c_community
    if not community:
        return []
    lines = [f"com2sec v2c-reader {AGENT_ADDRESS}/32 {community}"]
    lines += [
        "group v2c-readers v2c v2c-reader",
        f'access v2c-readers "" v2c noauth exact {VIEW} none none',
    ]
    return lines


def _targets(section: SnmpSection) -> list[str]:
    """Where snmpd sends the notifications the subagent hands it: SNMPv3 as a configured
    user (authPriv; informs unless the target says traps), or v2c traps with a community."""
    users = {user.name: user for user in section.users}
    lines = []
    for target in section.traps:
        where = transport_address(target.address, target.port)
        if target.version == "v2c":
            lines.append(f"trapsess -v 2c -c {target.community} {where}")
            continue
        user = users[target.user]
        inform = "-Ci " if target.inform else ""
        lines.append(
            f"trapsess {inform}-v 3 -u {user.name} -l authPriv -a {AUTH_PROTOCOLS[user.auth]} "
            f'-A "{user.auth_passphrase}" -x {PRIV_PROTOCOLS[user.priv]} '
            f'-X "{user.priv_passphrase}" {where}'
        )
    return lines


def without_users(persistent: str) -> str:
    """snmpd's persistent file without its users: snmpd writes the users it made from
    `createUser` there, and a user removed from our config must not live on in it. The
    engine ID and engine boots stay."""
    kept = [line for line in persistent.splitlines() if not line.startswith("usmUser ")]
    return "\n".join(kept) + "\n" if kept else ""
