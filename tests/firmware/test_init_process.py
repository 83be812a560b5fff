"""The appliance as PID 1 (firmware/init_process.py), in a PID namespace of the test's own
(unshare): SIGTERM sent to PID 1 reaches the appliance, orphans are reaped, and PID 1
exits with the appliance's status."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from firmware.init_process import become_init

ROOT = Path(__file__).resolve().parents[2]

# The appliance's part: leave an orphan behind (a grandchild whose parent has gone, so that
# the kernel hands it to PID 1), wait for SIGTERM, then list the zombies of the namespace.
APPLIANCE = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
from firmware.init_process import become_init
become_init()
middle = os.fork()
if middle == 0:
    if os.fork() == 0:
        time.sleep(0.3)
        os._exit(0)
    os._exit(0)
os.waitpid(middle, 0)
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
print("appliance pid", os.getpid(), flush=True)
while not stopping:
    time.sleep(0.05)
time.sleep(0.6)
def state(pid):
    with open(f"/proc/{{pid}}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]
zombies = [p for p in os.listdir("/proc") if p.isdigit() and state(p) == "Z"]
print("zombies", zombies, flush=True)
{ending}
"""

pytestmark = pytest.mark.skipif(
    shutil.which("unshare") is None or os.geteuid() != 0,
    reason="needs unshare and root for a PID namespace",
)


def namespace_init(unshare: subprocess.Popen[str]) -> int:
    """The host's PID of the namespace's PID 1: the child unshare forked."""
    children = Path(f"/proc/{unshare.pid}/task/{unshare.pid}/children")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listed = children.read_text().split()
        if listed:
            return int(listed[0])
        time.sleep(0.02)
    raise AssertionError("unshare started no child")


@pytest.mark.parametrize(
    ("ending", "status"),
    [("sys.exit(7)", 7), ("os.kill(os.getpid(), signal.SIGKILL)", 128 + signal.SIGKILL)],
)
def test_pid_one_forwards_sigterm_reaps_orphans_and_exits_with_the_appliance(
    ending: str, status: int
) -> None:
    script = APPLIANCE.format(root=str(ROOT), ending=ending)
    unshare = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert unshare.stdout is not None
        assert unshare.stdout.readline().split() == ["appliance", "pid", "2"]
        os.kill(namespace_init(unshare), signal.SIGTERM)
        out, err = unshare.communicate(timeout=20)
    finally:
        if unshare.poll() is None:
            unshare.kill()
            unshare.wait()
    assert out.split("\n")[0] == "zombies []", (out, err)
    assert unshare.returncode == status, err


def test_outside_pid_one_nothing_forks() -> None:
    before = os.getpid()
    become_init()
    assert os.getpid() == before
