"""The README's JSON API examples ("HTTPS and the JSON API"), run as written with the real
curl against an appliance booted with HTTPS on a loopback port: each command exits 0 and
answers the JSON its comment says.

The block is taken from the README text itself, so a change there that breaks a command
fails here. Its two placeholders are replaced, and nothing else: the host
`https://timeserver.example` by the appliance's `https://127.0.0.1:PORT`, and the password
`"..."` by the admin's password. Each line (a trailing backslash continues it) runs in bash
with `set -eo pipefail`, the variables the earlier lines set (H, T) in its environment.
"""

import json
import re
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.base.config.schema import SERVICE_NAMES
from firmware.base.config.secrets import REDACTED
from services.web.logs_page import SEVERITIES
from tests.interop.https_appliance import ADMIN_PASSWORD, Web, boot_web
from tests.interop.test_https import api
from tests.scenarios.appliance import ROOT, timeserver
from tests.tools import free_port, require

README_HOST = "https://timeserver.example"
README_PASSWORD = '"password": "..."'
SNMP_SECRETS = ("readme-auth-secret-1", "readme-priv-secret-1")

Check = Callable[[Any, dict[str, Any]], None]


def readme_api_commands() -> list[str]:
    """The README's block of curl commands for /api/v1/, one logical line each."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## HTTPS and the JSON API\n", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```\n(.*?)```", section, re.S) if "/api/v1/" in b]
    assert README_HOST in block and README_PASSWORD in block, "the README's placeholders moved"
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def endpoint(command: str) -> tuple[str, str]:
    """The HTTP method curl uses for a command line, and the path under /api/v1/."""
    path = re.search(r"/api/v1/([\w/]+)", command)
    assert path is not None, command
    method = re.search(r"-X (\w+)", command)
    return (method[1] if method else "POST" if " -d " in command else "GET"), path[1]


def shell(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("bash"), "-c", f"set -eo pipefail\n{command}"],
        capture_output=True, text=True, timeout=30, env=env,
    )  # fmt: skip


def _status(answer: Any, seen: dict[str, Any]) -> None:
    assert set(answer) == set(seen["status"]), "not the tree of `timeserver status --json`"
    assert answer["https"]["state"] == "running"


def _gps(answer: Any, seen: dict[str, Any]) -> None:
    assert set(answer) == set(seen["status"]["gps"]) and "fix" in answer


def _ntp_stats(answer: Any, seen: dict[str, Any]) -> None:
    assert set(answer) == set(seen["status"]["ntp"]) - {"clients"}


def _ntp_clients(answer: Any, seen: dict[str, Any]) -> None:
    assert isinstance(answer, list)


def _services(answer: Any, seen: dict[str, Any]) -> None:
    assert set(answer) == set(SERVICE_NAMES)
    assert answer["https"] == {"enabled": True, "state": "running"}
    assert answer["daytime"]["enabled"] is False


def _config(answer: Any, seen: dict[str, Any]) -> None:
    (user,) = answer["services"]["snmp"]["users"]
    assert user["auth_passphrase"] == user["priv_passphrase"] == REDACTED
    assert not any(secret in json.dumps(answer) for secret in SNMP_SECRETS)


def _events(answer: Any, seen: dict[str, Any]) -> None:
    assert 0 < len(answer) <= 50
    assert all(SEVERITIES.index(e["severity"]) <= SEVERITIES.index("warning") for e in answer)
    assert any(e["kind"] == "login.failed" for e in answer), "the test's failed login"


def _history(answer: Any, seen: dict[str, Any]) -> None:
    assert {"served_utc", "sync_state", "series"} <= set(answer)


def _stage(answer: Any, seen: dict[str, Any]) -> None:
    assert answer["staged"] == {"services.daytime.enabled": True}, answer


def _commit(answer: Any, seen: dict[str, Any]) -> None:
    assert answer["message"].startswith("committed") and answer["staged"] == {}, answer


def _discard(answer: Any, seen: dict[str, Any]) -> None:
    assert answer["staged"] == {}


def _log_out(answer: Any, seen: dict[str, Any]) -> None:
    assert answer == {"logged_out": True}


CHECKS: dict[tuple[str, str], Check] = {
    ("GET", "status"): _status,
    ("GET", "gps"): _gps,
    ("GET", "ntp/stats"): _ntp_stats,
    ("GET", "ntp/clients"): _ntp_clients,
    ("GET", "services"): _services,
    ("GET", "config"): _config,
    ("GET", "events"): _events,
    ("GET", "history"): _history,
    ("POST", "config/staged"): _stage,
    ("POST", "config/commit"): _commit,
    ("DELETE", "config/staged"): _discard,
    ("DELETE", "session"): _log_out,
}


def appliance_config(daytime_port: int) -> str:
    """Daytime off on a loopback port (the README's change turns it on) and one SNMP user
    whose passphrases the config read must not show (SNMP itself stays off)."""
    auth, priv = SNMP_SECRETS
    return (
        f'[services.daytime]\nport = {daytime_port}\nbind = ["127.0.0.1"]\n'
        f'[[services.snmp.users]]\nname = "nms"\nauth_passphrase = "{auth}"\n'
        f'priv_passphrase = "{priv}"\n'
    )


def daytime_answers(port: int) -> bool:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
                return bool(connection.recv(100))
        except OSError:
            time.sleep(0.2)
    return False


def run_readme(web: Web, env: dict[str, str]) -> dict[str, Any]:
    """Each README command in turn; the variables it sets go into `env`. Returns the tree
    `timeserver status --json` showed, which the API's status is compared with."""
    seen = {"status": json.loads(timeserver("status", "--json", "--data-dir",
                                            str(web.booted.data_dir)).stdout)}  # fmt: skip
    host = f"https://127.0.0.1:{web.port}"
    for line in readme_api_commands():
        command = line.replace(README_HOST, host).replace(
            README_PASSWORD, f'"password": "{ADMIN_PASSWORD}"'
        )
        assignment = re.match(r"([A-Z]+)=", command)
        if assignment:
            result = shell(f'{command}\nprintf %s "${assignment[1]}"', env)
            assert result.returncode == 0 and result.stdout, (line, result.stderr)
            env[assignment[1]] = result.stdout
            continue
        assert endpoint(command) in CHECKS, f"no check for the README's {line!r}"
        result = shell(command, env)
        assert result.returncode == 0, (line, result.stderr)
        CHECKS[endpoint(command)](json.loads(result.stdout), seen)
    return seen


def test_the_readme_api_examples_run_as_written(tmp_path: Path) -> None:
    daytime_port = free_port()
    web = boot_web(tmp_path, appliance_config(daytime_port))
    try:
        wrong = {"user": "admin", "password": "not the password"}
        assert api(web, "POST", "login", body=wrong)["status"] == 401
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no ~/.curlrc of the user's
        run_readme(web, env)
        assert daytime_answers(daytime_port), "the README's commit did not start daytime"
        assert api(web, "GET", "status", env["T"])["status"] == 401, "logged out"
    finally:
        web.booted.stop()
