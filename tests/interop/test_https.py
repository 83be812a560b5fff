"""openssl s_client and curl against the appliance's HTTPS service on loopback: TLS 1.2/1.3
only with ECDHE + AEAD, HTTP/1.1, the security headers, the redirect port, and the allow-list
refusing before any handshake."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.interop.https_appliance import Web, boot_web
from tests.scenarios.appliance import timeserver
from tests.tools import require


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    web = boot_web(tmp_path_factory.mktemp("https"))
    yield web
    web.booted.stop()


def s_client(port: int, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("openssl"), "s_client", "-connect", f"127.0.0.1:{port}", *options],
        input="", capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def curl(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("curl"), "-sS", "--max-time", "20", *arguments],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_tls_before_1_2_is_refused(web: Web, version: str) -> None:
    result = s_client(web.port, version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert result.returncode != 0
    assert "Cipher is (NONE)" in result.stdout


@pytest.mark.parametrize(
    ("version", "cipher"),
    [("-tls1_2", "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384"),
     ("-tls1_3", "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384")],
)  # fmt: skip
def test_tls_1_2_and_1_3_are_accepted(web: Web, version: str, cipher: str) -> None:
    result = s_client(web.port, version)
    assert result.returncode == 0, result.stderr
    assert cipher in result.stdout


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA"])
def test_tls_1_2_without_aead_is_refused(web: Web, cipher: str) -> None:
    result = s_client(web.port, "-tls1_2", "-cipher", cipher)
    assert result.returncode != 0
    assert "Cipher is (NONE)" in result.stdout


def test_every_reply_has_the_security_headers_over_http_1_1(web: Web) -> None:
    for path in ("/login", "/", "/api/v1/no-such-thing"):  # 200, 303 to /login, 401
        result = curl(
            "-k", "--http2", "-o", "/dev/null", "-D", "-", f"https://127.0.0.1:{web.port}{path}"
        )
        assert result.returncode == 0, result.stderr
        status, *lines = result.stdout.splitlines()
        assert status.startswith("HTTP/1.1 ")  # offered h2, the appliance chose HTTP/1.1
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["strict-transport-security"].startswith("max-age=")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "aiohttp" not in headers["server"]


def test_the_plain_port_only_redirects(web: Web) -> None:
    result = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                  f"http://127.0.0.1:{web.redirect_port}/api/v1/status?x=1")  # fmt: skip
    assert result.stdout == f"308 https://127.0.0.1:{web.port}/api/v1/status?x=1"


def test_a_host_outside_allow_gets_no_handshake(tmp_path: Path) -> None:
    web = boot_web(tmp_path, 'allow = ["127.0.0.2/32"]\n')
    refused = s_client(web.port, "-tls1_3")
    assert refused.returncode != 0
    assert "Cipher is (NONE)" in refused.stdout and "Server certificate" not in refused.stdout
    event = web.booted.wait_event("https.refused")
    assert event["fields"] == {"source": "127.0.0.1"}
    allowed = curl("-k", "--interface", "127.0.0.2", "-o", "/dev/null", "-w", "%{http_code}",
                   f"https://127.0.0.1:{web.port}/login")  # fmt: skip
    assert allowed.stdout == "200", allowed.stderr
    web.booted.stop()


def log_in(web: Web, jar: Path, user: str, password: str) -> str:
    """curl through the login form, as a browser would; the HTTP status of the login."""
    url = f"https://127.0.0.1:{web.port}/login"
    form = curl("-k", "-c", str(jar), url).stdout
    token = form.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    return curl("-k", "-b", str(jar), "-c", str(jar), "-o", "/dev/null", "-w", "%{http_code}",
                "--data-urlencode", f"login_token={token}", "--data-urlencode", f"user={user}",
                "--data-urlencode", f"password={password}", url).stdout  # fmt: skip


def test_login_over_https_and_a_post_without_csrf_token(web: Web, tmp_path: Path) -> None:
    jar = tmp_path / "cookies"
    assert log_in(web, jar, "admin", "not the password") == "401"
    failed = web.booted.wait_event("login.failed")
    assert failed["fields"] == {"user": "admin", "source": "127.0.0.1"}
    assert log_in(web, jar, "admin", "correct horse battery") == "303"
    logout = f"https://127.0.0.1:{web.port}/logout"
    refused = curl("-k", "-b", str(jar), "-X", "POST", "-o", "/dev/null", "-w", "%{http_code}",
                   logout)  # fmt: skip
    assert refused.stdout == "403"
    home = curl("-k", "-b", str(jar), f"https://127.0.0.1:{web.port}/").stdout
    csrf = home.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    done = curl("-k", "-b", str(jar), "-o", "/dev/null", "-w", "%{http_code}",
                "-H", f"X-CSRF-Token: {csrf}", "-X", "POST", logout)  # fmt: skip
    assert done.stdout == "303"


def api(web: Web, method: str, path: str, token: str = "", body: object = None) -> dict:
    """curl against /api/v1/ with a bearer token; the JSON answer and its HTTP status."""
    options = ["-H", f"Authorization: Bearer {token}"] if token else []
    if body is not None:
        options += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    result = curl("-k", "-X", method, "-w", "\n%{http_code}", *options,
                  f"https://127.0.0.1:{web.port}/api/v1/{path}")  # fmt: skip
    text, _, code = result.stdout.rpartition("\n")
    return {"status": int(code), "body": json.loads(text)}


def test_api_with_a_token_refuses_a_commit_that_cuts_it_off(web: Web) -> None:
    login = api(web, "POST", "login", body={"user": "admin", "password": "correct horse battery"})
    token = login["body"]["token"]
    tree = api(web, "GET", "status", token)["body"]
    assert tree["https"]["state"] == "running" and "sync_state" in tree["timing"]
    staged = api(web, "POST", "config/staged", token, {"services.https.allow": ["192.0.2.0/24"]})
    assert "committed, this would cut off this session" in staged["body"]["message"]
    refused = api(web, "POST", "config/commit", token)
    assert refused["status"] == 409
    assert "HTTPS would no longer allow 127.0.0.1" in refused["body"]["message"]
    assert api(web, "DELETE", "config/staged", token)["body"]["staged"] == {}
    assert api(web, "DELETE", "session", token)["status"] == 200
    assert api(web, "GET", "status", token)["status"] == 401


def test_metrics_parse_and_match_status_json(tmp_path: Path) -> None:
    web = boot_web(tmp_path, 'metrics_allow = ["127.0.0.0/8"]\n[timing]\nlock_samples = 3\n')
    web.booted.wait_event("timing.locked")
    text = curl("-k", f"https://127.0.0.1:{web.port}/metrics").stdout
    shown = timeserver("status", "--json", "--data-dir", str(web.booted.data_dir))
    tree = json.loads(shown.stdout)
    web.booted.stop()
    found = {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert all(name.startswith("timeserver_") for name, _ in found)
    timing = tree["timing"]
    assert found[("timeserver_sync_state", (timing["sync_state"],))] == 1
    assert found[("timeserver_stratum", ())] == timing["stratum"]
    assert found[("timeserver_leap_indicator", ())] == timing["leap_indicator"]
    up = {labels[0] for (name, labels), value in found.items()
          if name == "timeserver_service_up" and value == 1}  # fmt: skip
    assert up == {name for name, fields in tree.items() if fields.get("state") == "running"}
    assert "https" in up and "ntp" in up
    ntp = tree["ntp"]
    assert found[("timeserver_ntp_replies_total", ())] == ntp["served"]  # stale ones inside
