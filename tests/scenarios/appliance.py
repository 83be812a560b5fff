"""Boot the real `timeserver boot` command as a process, the way a user runs it."""

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from tests.tools import free_port

ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, text: str = "") -> Path:
    """A test config: NTP, SSH and HTTPS on free loopback ports unless the text sets them."""
    earlier = tomllib.loads(path.read_text()).get("services", {}) if path.exists() else {}
    for service in ("ntp", "ssh", "https"):
        if f"[services.{service}]" not in text:
            # Keep the port of an earlier version, so that reloads leave the service alone.
            port = earlier.get(service, {}).get("port", free_port())
            text = f'[services.{service}]\nport = {port}\nbind = ["127.0.0.1"]\n{text}'
    path.write_text(text)
    return path


def timeserver(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firmware.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


RUNNING: set["Booted"] = set()
"""Appliances started and not yet stopped: tests/conftest.py stops what a test leaves."""


class Booted:
    def __init__(
        self,
        data_dir: Path,
        config: Path | None = None,
        password: str | None = None,
        prefix: tuple[str, ...] = (),
    ):
        """`prefix` runs the appliance through another command (ip netns exec NAME)."""
        RUNNING.add(self)
        self.data_dir = data_dir
        env = {k: v for k, v in os.environ.items() if k != "TIMESERVER_ADMIN_PASSWORD"}
        if password is not None:
            env["TIMESERVER_ADMIN_PASSWORD"] = password
        if config is None:
            config = write_config(data_dir.parent / f"{data_dir.name}.toml")
        self.config = config
        args = ["boot", "--data-dir", str(data_dir), "--config", str(config)]
        self.stdout_path = data_dir.parent / f"{data_dir.name}.stdout"
        self.stderr_path = data_dir.parent / f"{data_dir.name}.stderr"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen(
                [*prefix, sys.executable, "-m", "firmware.cli", *args],
                stdout=out,
                stderr=err,
                cwd=ROOT,
                env=env,
            )

    def events(self) -> list[dict[str, object]]:
        path = self.data_dir / "events.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def wait_event(self, kind: str, count: int = 1, seconds: float = 20.0) -> dict[str, object]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [e for e in self.events() if e["kind"] == kind]
            if len(found) >= count:
                return found[count - 1]
            if self.process.poll() is not None:
                raise AssertionError(f"appliance exited {self.process.returncode}: {self.stderr()}")
            time.sleep(0.05)
        raise AssertionError(f"no {kind} event: {self.stderr()}")

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def signal(self, number: signal.Signals) -> None:
        self.process.send_signal(number)

    def stop(self, seconds: float = 5.0) -> tuple[int, float]:
        RUNNING.discard(self)
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        return code, time.monotonic() - began
