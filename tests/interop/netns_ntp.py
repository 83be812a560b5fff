"""Run inside a fresh network namespace (unshare -n): the appliance on port 123, then
ntpsec's ntpdig and ntpq against it, before and after a rule that denies them, and ntpq
with and without a key once a rule requires authentication.

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
AUTH = ALLOW.replace("query = true\n", "query = true\nrequire_auth = true\n")


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


def ntpq_with_keys(data: Path, ntpq: str, work: Path) -> dict[str, object]:
    """ntpq signing its readvar (`authenticate yes`) with the appliance's keys (3 MD5,
    2 SHA1, 1 AES-CMAC), with none, and with a key of the right id but the wrong secret."""
    keys = data / "ntp.keys"
    wrong = work / "wrong.keys"
    wrong.write_text("3 MD5 " + "00" * 16 + "\n")
    runs: dict[str, object] = {}
    for name, key_id, key_file in (("ntpq_md5", 3, keys), ("ntpq_sha1", 2, keys),
                                   ("ntpq_cmac", 1, keys), ("ntpq_wrong", 3, wrong)):  # fmt: skip
        commands = ["-c", "authenticate yes", "-c", "passwd", "-c", "rv"]
        runs[name] = listening(["/usr/bin/python3", ntpq, "-k", str(key_file), "-a", str(key_id),
                                *commands, "127.0.0.1"])  # fmt: skip
    runs["ntpq"] = listening(["/usr/bin/python3", ntpq, "-c", "rv", "127.0.0.1"])
    return runs


def listening(command: list[str]) -> dict[str, object]:
    """`command` run once the workers the reload restarted listen again (ntpq says "Socket
    error" while nothing does), or after 15 s."""
    deadline = time.monotonic() + 15
    while True:
        result = run(command)
        if "Socket error" not in str(result["err"]) or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


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
        write_config(config, AUTH)
        booted.signal(signal.SIGHUP)
        booted.wait_event("config.reloaded")
        results["auth"] = ntpq_with_keys(work / "data", ntpq, work)
    finally:
        results["exit"] = booted.stop()[0]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
