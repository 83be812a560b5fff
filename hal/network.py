"""The host's own network addresses, as the front panel shows them."""

from __future__ import annotations

import json
import subprocess


def local_addresses() -> list[str]:
    """Global-scope addresses of every interface, IPv4 first; [] when `ip` is missing."""
    try:
        result = subprocess.run(
            ["ip", "-j", "addr", "show"], capture_output=True, text=True, timeout=2, check=True
        )
        interfaces = json.loads(result.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    found = []
    for interface in interfaces:
        for info in interface.get("addr_info", []):
            if info.get("scope") == "global" and "local" in info:
                found.append((info.get("family") != "inet", str(info["local"])))
    return [address for _, address in sorted(found)]
