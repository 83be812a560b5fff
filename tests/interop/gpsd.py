"""Real gpsd, gpsfake and gpspipe for the GPS tests."""

import json
import subprocess
import time
from pathlib import Path

from tests.tools import free_port, require


def start_gpsd(device: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """gpsd in the foreground, read-only (-b), reading `device` at once (-n)."""
    gpsd = require("gpsd")
    port = free_port()
    process = subprocess.Popen(
        [gpsd, "-N", "-n", "-b", "-S", str(port), "-F", str(workdir / "gpsd.sock"), str(device)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_listening(port, process)
    return process, port


def start_gpsfake(log: Path) -> tuple[subprocess.Popen[bytes], int]:
    gpsfake = require("gpsfake")
    port = free_port()
    process = subprocess.Popen(
        [gpsfake, "-P", str(port), "-1", "-c", "0.05", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_listening(port, process)
    return process, port


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
        if f":{port}" in probe.stdout:
            return
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def gpspipe_reports(
    port: int, count: int, seconds: float = 15, duration: int = 0
) -> list[dict[str, object]]:
    """gpsd's JSON reports: `count` of them, or all of `duration` seconds."""
    gpspipe = require("gpspipe")
    limit = ["--seconds", str(duration)] if duration else []
    result = subprocess.run(
        [gpspipe, "-w", "-n", str(count), *limit, f"127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=seconds,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
