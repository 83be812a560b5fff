"""Two network namespaces joined by a veth pair, made for one test module or bench run and
deleted after (tests/interop/test_ptp.py, tests/bench/benchptp.py): the appliance or ptp4l
as grandmaster in one, ptp4l as slave in the other."""

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.scenarios.appliance import Booted, write_config
from tests.tools import require

APPLIANCE_CONFIG = """[timing]
lock_samples = 3
loss_seconds = 2
[gps.sim]
scenario = "{scenario}"
[services.ptp]
enabled = true
interface = "{interface}"
allow = ["10.99.0.0/24"]
"""


@dataclass(frozen=True)
class Link:
    gm: str
    """Namespace of the appliance (the grandmaster)."""
    client: str
    gm_if: str
    client_if: str
    gm_address: str = "10.99.0.1"
    client_address: str = "10.99.0.2"

    def run(
        self, namespace: str, *command: str, timeout: float = 20, stdin: str | None = None,
        cwd: str | None = None,
    ) -> str:  # fmt: skip
        done = subprocess.run(
            ["ip", "netns", "exec", namespace, *command],
            capture_output=True, text=True, timeout=timeout, input=stdin, cwd=cwd,
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


@dataclass(frozen=True)
class Offset:
    """One `master offset` line of ptp4l: when (its monotonic log stamp), nanoseconds."""

    at: float
    offset_ns: int
    path_delay_ns: int


def master_offsets(text: str) -> list[Offset]:
    """Every `master offset` line of a ptp4l log (-m), in order."""
    pattern = r"ptp4l\[([0-9.]+)\]: master offset\s+(-?\d+) s\d .*path delay\s+(-?\d+)"
    return [
        Offset(float(at), int(offset), int(delay))
        for at, offset, delay in re.findall(pattern, text)
    ]


class Ptp4l:
    """ptp4l with software timestamps on one end of the link, its log kept in a file.

    Always `--free_running 1`: the namespaces share the host's clock, which ptp4l must never
    steer. As a slave its port then stays UNCALIBRATED (SLAVE needs the servo to lock) and
    its `master offset` lines are the raw measured offsets; as a grandmaster nothing changes.
    """

    def __init__(
        self, link: Link, work: Path, name: str, extra: str = "", slave: bool = True,
        at_gm: bool = False,
    ):  # fmt: skip
        self.socket = work / f"{name}.sock"
        self.log = work / f"{name}.log"
        config = ptp4l_config(work / f"{name}.cfg", self.socket, extra)
        flags = ["-s"] if slave else []
        namespace, interface = (link.gm, link.gm_if) if at_gm else (link.client, link.client_if)
        command = ["ptp4l", "-i", interface, "-S", "-4", "-m", "--free_running", "1"]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", namespace, *command, *flags, "-f", str(config)],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.link, self.namespace = link, namespace

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, seconds: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"ptp4l never printed {pattern!r}:\n{self.text()[-2000:]}")

    def pmc(self, query: str) -> dict[str, str]:
        """pmc through this ptp4l's management socket: what this ptp4l knows."""
        args = ("pmc", "-u", "-b", "0", "-s", str(self.socket), query)
        return pmc_fields(self.link.run(self.namespace, *args))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def ptp_appliance(link: Link, work: Path, scenario: str = "locked") -> Iterator[Booted]:
    """The appliance booted in the grandmaster's namespace, locked and its PTP port up."""
    text = APPLIANCE_CONFIG.format(scenario=scenario, interface=link.gm_if)
    booted = Booted(work / "data", write_config(work / "config.toml", text),
                    prefix=("ip", "netns", "exec", link.gm))  # fmt: skip
    try:
        booted.wait_event("timing.locked", seconds=40)
        booted.wait_event("ptp.port_state", seconds=20)
        yield booted
    finally:
        booted.stop(seconds=10)
