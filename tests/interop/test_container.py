"""The container image, built by `make image` and run for real with podman.

No container registry is reachable here, so the test makes its own Debian 12 base image
(mmdebstrap, then podman import) and names it with BASE. Two settings of this sandbox live
here, not in the image: the runc runtime (crun fails on its cgroups) and no default
ulimits (raising rlimits is not permitted). Podman keeps its images and containers in the
test's own directory. Nothing here may touch the host's network configuration: a rootful
podman's default bridge (netavark) adds nat and filter tables to the host's netfilter, which
turns on connection tracking for every packet of the machine (a flood from many loopback
sources then fills its table). So the build's RUN steps use the host's network as it is
(--network=host) and the containers use slirp4netns, with ports published on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ntplib
import pytest

from tests.tools import free_port, require, ssh_run

ROOT = Path(__file__).resolve().parents[2]
BASE = "localhost/debian-base:bookworm"
IMAGE = "localhost/timeserver:test"
PASSWORD = "container-admin-9"
BOOT_S = 90


@dataclass
class Podman:
    command: list[str]
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        return self.both(*args, timeout=timeout, check=check).stdout

    def both(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*self.command, *args], env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}: {done.returncode}\n{done.stderr}")
        return done


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    if os.geteuid() != 0:
        pytest.skip("podman with its own storage directory runs as root here")
    for program in ("mmdebstrap", "runc", "slirp4netns"):
        require(program)
    place = tmp_path_factory.mktemp("podman")
    conf = place / "containers.conf"
    conf.write_text(
        '[containers]\ndefault_ulimits = []\nnetns = "slirp4netns"\n[engine]\nruntime = "runc"\n'
    )
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    command = [require("podman"), "--root", str(place / "root"), "--runroot", str(place / "run")]
    tool = Podman(command, env)
    tables = netfilter_tables()
    try:
        tarball = place / "base.tar"
        subprocess.run(
            [require("mmdebstrap"), "--quiet", "--variant=minbase", "bookworm", str(tarball)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        tool.run("import", str(tarball), BASE)
        tarball.unlink()
        subprocess.run(
            ["make", "-C", str(ROOT), "image", f"IMAGE={IMAGE}", f"IMAGE_BASE={BASE}",
             f"IMAGE_KEY={place / 'signing.key'}", f"IMAGE_CONTEXT={place / 'context'}",
             f"PODMAN={' '.join(command)}", "IMAGE_BUILD_OPTIONS=--network=host"],
            env=env, check=True, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        yield tool
    finally:
        tool.run("rm", "--all", "--force", "--time", "0", check=False)
        tool.run("system", "reset", "--force", check=False)
    assert netfilter_tables() == tables, "podman changed the host's netfilter tables"


def netfilter_tables() -> str:
    """The host's nftables tables (iptables-nft's included), or '' without nft."""
    nft = shutil.which("nft") or shutil.which("nft", path="/usr/sbin:/sbin")
    if nft is None:
        return ""
    return subprocess.run([nft, "list", "tables"], capture_output=True, text=True).stdout


@dataclass
class Container:
    name: str
    ntp_port: int
    ssh_port: int

    def logs(self, podman: Podman) -> str:
        """What the appliance printed: the banner on stdout, its events on stderr."""
        done = podman.both("logs", self.name)
        return done.stdout + done.stderr


def start(podman: Podman, name: str, volume: str) -> Container:
    box = Container(name, free_port(), free_port())
    podman.run(
        "run", "--detach", "--name", name, "--network", "slirp4netns",
        "--cap-drop", "all", "--cap-add", "net_bind_service",
        "--env", f"TIMESERVER_ADMIN_PASSWORD={PASSWORD}",
        "--volume", f"{volume}:/var/lib/timeserver",
        "--publish", f"127.0.0.1:{box.ntp_port}:123/udp",
        "--publish", f"127.0.0.1:{box.ssh_port}:22/tcp", IMAGE,
    )  # fmt: skip
    return box


def wait_for(what: str, check: object, timeout: float = BOOT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what}")


def stratum(port: int) -> int:
    try:
        return int(ntplib.NTPClient().request("127.0.0.1", port=port, version=4, timeout=1).stratum)
    except ntplib.NTPException:
        return 0


@pytest.fixture(scope="module")
def container(podman: Podman) -> Container:
    box = start(podman, "timeserver-a", "timeserver-data")
    wait_for("appliance ready", lambda: "appliance ready" in box.logs(podman))
    return box


def test_the_appliance_runs_as_pid_one_as_its_own_user(
    podman: Podman, container: Container
) -> None:
    top = podman.run("top", container.name, "user", "pid", "args").splitlines()[1:]
    first = top[0].split()
    assert first[:2] == ["timeserver", "1"], top
    assert "timeserver boot" in " ".join(first), top
    assert all(line.split()[0] == "timeserver" for line in top), top
    banner = container.logs(podman)
    assert "ntp      0.0.0.0:123" in banner, banner
    # The image's build verified the bundle it installed and recorded the key that signed it.
    audit = podman.both("exec", container.name, "timeserver", "audit", check=False).stdout
    assert re.search(r"PASS  firmware image signed: \S+ in the base install .* by key \w{16}",
                     audit), audit  # fmt: skip


def test_ntp_serves_stratum_one_and_the_healthcheck_passes_once_locked(
    podman: Podman, container: Container
) -> None:
    wait_for("stratum 1 over NTP", lambda: stratum(container.ntp_port) == 1)
    reply = ntplib.NTPClient().request("127.0.0.1", port=container.ntp_port, version=4)
    assert ntplib.ref_id_to_text(reply.ref_id, reply.stratum) == "Global Position System"
    assert reply.leap != 3
    health = podman.run("healthcheck", "run", container.name, check=False)
    assert health.strip() in ("", "healthy"), health
    state = podman.run("inspect", container.name, "--format", "{{.State.Health.Status}}")
    assert state.strip() == "healthy"
    inside = podman.run("exec", container.name, "timeserver", "status", "--health")
    assert "healthy: NTP serving, LOCKED" in inside


def test_an_admin_logs_in_over_ssh_through_the_published_port(
    podman: Podman, container: Container
) -> None:
    done = ssh_run(container.ssh_port, PASSWORD, "status")
    assert done.returncode == 0, done.stderr
    assert re.search(r"state\s+(LOCKED|HOLDOVER|FREERUN)", done.stdout), done.stdout


def test_podman_stop_ends_it_cleanly_within_ten_seconds_and_the_volume_keeps_its_identity(
    podman: Podman, container: Container
) -> None:
    serial = re.search(r"serial (\S+)", container.logs(podman))
    assert serial
    began = time.monotonic()
    podman.run("stop", "--time", "10", container.name, timeout=30)
    took = time.monotonic() - began
    assert took < 10, f"podman stop took {took:.1f} s"
    code = podman.run("inspect", container.name, "--format", "{{.State.ExitCode}}")
    assert code.strip() == "0"
    assert "appliance stopped" in container.logs(podman)

    again = start(podman, "timeserver-b", "timeserver-data")
    wait_for("second boot ready", lambda: "appliance ready" in again.logs(podman))
    assert f"serial {serial.group(1)}" in again.logs(podman)
    podman.run("stop", "--time", "10", again.name, timeout=30)
