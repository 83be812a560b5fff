"""Would a config change cut off the session it came from? A session is cut off when a new
connection like its own would no longer be accepted: its service disabled, moved to another
port, no longer listening on the address it reached, or no longer allowing its source.
Free of I/O: two configs and the session's origin in, the reasons out."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from firmware.admin.shell import Origin
from firmware.base.access import AccessRules
from firmware.base.config import Config
from firmware.base.config.services import ServiceSection

# The network services a session can come in through; the serial console is not among them,
# so no network change ever cuts it off.
SECTIONS: dict[str, Callable[[Config], ServiceSection]] = {
    "ssh": lambda config: config.services.ssh,
    "telnet": lambda config: config.services.telnet,
    "https": lambda config: config.services.https,
}
LABELS = {"ssh": "SSH", "telnet": "telnet", "https": "HTTPS"}


def cutoff(old: Config, new: Config, origin: Origin) -> list[str]:
    """Why `new` would cut off a session that `old` admits (nothing when it would not)."""
    if origin.transport not in SECTIONS or unreachable(old, origin):
        return []
    return unreachable(new, origin)


def unreachable(config: Config, origin: Origin) -> list[str]:
    """Why a connection like the session's would be refused under `config`."""
    section = SECTIONS[origin.transport](config)
    name = LABELS[origin.transport]
    if not section.enabled:
        return [f"{name} would be disabled (services.{origin.transport}.enabled = false)"]
    reasons = []
    if section.port != origin.port:
        reasons.append(f"{name} would move from port {origin.port} to port {section.port}")
    if not any(_covers(bind, origin.local) for bind in section.bind):
        reasons.append(f"{name} would no longer listen on {origin.local} (bind = {section.bind})")
    if not AccessRules([], section.allow).decide(origin.peer).allow:
        reasons.append(f"{name} would no longer allow {origin.peer} (allow = {section.allow})")
    return reasons


def _covers(bind: str, local: str) -> bool:
    """True when a socket bound to `bind` accepts connections to `local`. The wildcard of
    each family covers that family only: IPv6 sockets are IPV6_V6ONLY (asyncio sets it)."""
    try:
        listen = ipaddress.ip_address(bind)
        address = ipaddress.ip_address(local.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if listen.is_unspecified:
        return listen.version == address.version
    return listen == address
