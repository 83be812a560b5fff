"""Two network namespaces joined by a veth pair, made for one test module and deleted after
(tests/interop/test_ptp.py): the appliance runs in one, linuxptp in the other."""

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.tools import require


@dataclass(frozen=True)
class Link:
    gm: str
    """Namespace of the appliance (the grandmaster)."""
    client: str
    gm_if: str
    client_if: str
    gm_address: str = "10.99.0.1"
    client_address: str = "10.99.0.2"

    def run(self, namespace: str, *command: str, timeout: float = 20) -> str:
        done = subprocess.run(
            ["ip", "netns", "exec", namespace, *command],
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        return done.stdout + done.stderr

    def gm_clock_identity(self) -> str:
        """The appliance's clock identity as linuxptp prints it, from the interface's MAC."""
        mac = self.run(self.gm, "cat", f"/sys/class/net/{self.gm_if}/address").strip()
        raw = mac.replace(":", "")
        return f"{raw[:6]}.fffe.{raw[6:]}"


@contextmanager
def veth_link() -> Iterator[Link]:
    ip = require("ip")
    tag = f"{os.getpid() % 100000}"
    link = Link(f"tsgm{tag}", f"tscl{tag}", f"tg{tag}", f"tc{tag}")
    commands = [
        ["netns", "add", link.gm], ["netns", "add", link.client],
        ["link", "add", link.gm_if, "type", "veth", "peer", "name", link.client_if],
        ["link", "set", link.gm_if, "netns", link.gm],
        ["link", "set", link.client_if, "netns", link.client],
        ["-n", link.gm, "addr", "add", f"{link.gm_address}/24", "dev", link.gm_if],
        ["-n", link.client, "addr", "add", f"{link.client_address}/24", "dev", link.client_if],
        ["-n", link.gm, "link", "set", link.gm_if, "up"],
        ["-n", link.gm, "link", "set", "lo", "up"],
        ["-n", link.client, "link", "set", link.client_if, "up"],
        ["-n", link.client, "link", "set", "lo", "up"],
    ]  # fmt: skip
    try:
        for command in commands:
            subprocess.run([ip, *command], check=True, capture_output=True, timeout=10)
        yield link
    finally:
        # Deleting the namespaces deletes the veth pair with them.
        for namespace in (link.gm, link.client):
            subprocess.run([ip, "netns", "del", namespace], capture_output=True, timeout=10)


def ptp4l_config(path: Path, socket: Path, extra: str = "") -> Path:
    """A ptp4l config with a management socket of its own (two ptp4l would collide)."""
    path.write_text(f"[global]\nuds_address {socket}\n{extra}")
    return path


def pmc_fields(text: str) -> dict[str, str]:
    """`name value` lines of pmc's answer, the last answer winning."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        found = re.match(r"^\s+(\S+)\s+(\S+)\s*$", line)
        if found:
            fields[found.group(1)] = found.group(2)
    return fields
