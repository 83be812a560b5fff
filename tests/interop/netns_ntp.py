"""Run inside a fresh network namespace (unshare -n): the appliance on port 123, then
ntpsec's ntpdig and ntpq against it, before and after a rule that denies them.

Prints one JSON object with what each client said; tests/interop/test_ntpsec.py checks it.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.scenarios.appliance import Booted, write_config  # noqa: E402

ALLOW = """[timing]
lock_samples = 3
[services.ntp]
port = 123
bind = ["127.0.0.1"]
[[services.ntp.rules]]
network = "127.0.0.0/8"
query = true
ratelimit = false
"""
DENY = ALLOW.replace("query = true\nratelimit = false", 'action = "deny"')


def run(command: list[str]) -> dict[str, object]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return {"rc": None, "out": "", "err": "timeout"}
    return {"rc": done.returncode, "out": done.stdout, "err": done.stderr}


def clients(data: Path, ntpq: str) -> dict[str, object]:
    keys = str(data / "ntp.keys")
    return {
        "ntpdig": run(["ntpdig", "-j", "-t", "2", "127.0.0.1"]),
        "ntpdig_sha1": run(["ntpdig", "-j", "-t", "2", "-a", "2", "-k", keys, "127.0.0.1"]),
        "ntpdig_md5": run(["ntpdig", "-j", "-t", "2", "-a", "3", "-k", keys, "127.0.0.1"]),
        "ntpq": run(["/usr/bin/python3", ntpq, "-c", "rv", "127.0.0.1"]),
    }


def main() -> None:
    work, ntpq = Path(sys.argv[1]), sys.argv[2]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    config = write_config(work / "config.toml", ALLOW)
    booted = Booted(work / "data", config)
    results: dict[str, object] = {}
    try:
        booted.wait_event("timing.locked", seconds=30)
        time.sleep(0.5)  # the workers take the new sync state at their next housekeeping
        results["allowed"] = clients(work / "data", ntpq)
        write_config(config, DENY)
        booted.signal(signal.SIGHUP)
        booted.wait_event("config.reloaded")
        results["denied"] = clients(work / "data", ntpq)
    finally:
        results["exit"] = booted.stop()[0]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
