"""The web console's admin features against the real appliance on loopback: a certificate
installed by `https cert install` over OpenSSH, then one uploaded from the web page, each
seen in a TLS handshake (Python's ssl); and the password change on the web page. One booted
appliance for the module."""

import datetime
import json
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.interop.https_appliance import ADMIN_PASSWORD, Web, WebClient, boot_web
from tests.pki import issue, key_pem, pem

NOW = datetime.datetime.now(datetime.UTC)
NEW_PASSWORD = "olga's own passphrase"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    web = boot_web(tmp_path_factory.mktemp("https-admin"), ssh=True)
    yield web
    web.booted.stop()


def wait_served(web: Web, der: bytes, seconds: float = 15.0) -> None:
    """Until a handshake gets the certificate `der` (HTTPS restarts with it)."""
    deadline = time.monotonic() + seconds
    served = b""
    while time.monotonic() < deadline:
        try:
            served = web.served_certificate()
        except OSError:  # between stop and start
            served = b""
        if served == der:
            return
        time.sleep(0.2)
    raise AssertionError("the new certificate was not served")


def audited(web: Web) -> list[dict[str, object]]:
    log = web.booted.data_dir / "audit.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(line) for line in lines if '"https.certificate"' in line]


def test_cert_install_over_ssh_is_served_and_audited(web: Web, tmp_path: Path) -> None:
    ca_key, key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP256R1())
    ca = issue("Lab CA", ca_key, NOW, ca=True)
    leaf = issue("ts.lab.example", key, NOW, issuer=(ca, ca_key))
    chain, key_file, wrong = tmp_path / "lab.crt", tmp_path / "lab.key", tmp_path / "other.key"
    chain.write_bytes(pem(leaf, ca))
    key_file.write_bytes(key_pem(key))
    wrong.write_bytes(key_pem(ec.generate_private_key(ec.SECP256R1())))
    before = web.served_certificate()

    refused = web.ssh("admin", ADMIN_PASSWORD, "https", "cert", "install", str(chain), str(wrong))
    assert refused.returncode == 1
    assert refused.stdout.strip() == (
        "https cert install refused: the key does not match the certificate's public key"
    )
    assert web.served_certificate() == before and audited(web) == []

    done = web.ssh("admin", ADMIN_PASSWORD, "https", "cert", "install", str(chain), str(key_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "certificate installed; HTTPS restarts with it now" in done.stdout
    wait_served(web, leaf.public_bytes(serialization.Encoding.DER))
    data = web.booted.data_dir
    assert stat.S_IMODE((data / "tls.key").stat().st_mode) == 0o600
    [entry] = audited(web)
    assert entry["who"] == "admin" and entry["source"] == "127.0.0.1"
    assert entry["new"]["subject"] == "CN=ts.lab.example"  # type: ignore[index]
    assert entry["new"]["issuer"] == "CN=Lab CA"  # type: ignore[index]
    assert "PRIVATE" not in (data / "audit.log").read_text()
    assert "PRIVATE" not in (data / "events.log").read_text()
    shown = web.ssh("admin", ADMIN_PASSWORD, "https", "cert", "show")
    assert "issuer:      CN=Lab CA" in shown.stdout and "(self-signed)" not in shown.stdout


async def test_web_upload_of_cert_and_key(web: Web) -> None:
    key = rsa.generate_private_key(65537, 2048)
    leaf = issue("ts-web.lab.example", key, NOW)
    weak_key = rsa.generate_private_key(65537, 1024)
    weak = issue("weak.example", weak_key, NOW)
    client = WebClient(web)
    try:
        assert (await client.log_in("admin", ADMIN_PASSWORD)).status == 303
        assert 'action="/certificate/install"' in await client.text("/certificate")
        files = {"certificate": ("weak.crt", pem(weak)), "key": ("weak.key", key_pem(weak_key))}
        refused = await client.upload("/certificate/install", files)
        assert refused.status == 400
        assert "https cert install refused: too weak: RSA key of 1024 bits" in await refused.text()
        files = {"certificate": ("web.crt", pem(leaf)), "key": ("web.key", key_pem(key))}
        forged = await client.upload("/certificate/install", files, csrf="not the token")
        assert forged.status == 403
        done = await client.upload("/certificate/install", files)
        assert done.status == 200, await done.text()
        assert "certificate installed" in await done.text()
    finally:
        await client.close()
    wait_served(web, leaf.public_bytes(serialization.Encoding.DER))
    assert audited(web)[-1]["new"]["subject"] == "CN=ts-web.lab.example"  # type: ignore[index]


async def test_web_password_change_from_a_one_time_password(web: Web) -> None:
    admin, olga = WebClient(web), WebClient(web)
    try:
        await admin.log_in("admin", ADMIN_PASSWORD)
        added = await admin.post("/config/user-add", {"name": "olga", "role": "monitor"})
        assert added.status == 303
        page = await admin.text("/config")
        one_time = re.search(r"olga added; one-time password (\S+) ", page)
        assert one_time, page
        first = await olga.log_in("olga", one_time[1])
        assert (first.status, first.headers["Location"]) == (303, "/password")
        assert "must be changed now" in await olga.text("/password")
        short = await olga.post("/password", {"new": "too short", "confirm": "too short"})
        assert short.headers["Location"] == "/password"
        assert "at least 12 characters" in await olga.text("/password")
        done = await olga.post("/password", {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert (done.status, done.headers["Location"]) == (303, "/")
        assert "Password changed." in await olga.text("/")
    finally:
        await admin.close()
        await olga.close()
    again = WebClient(web)
    try:
        assert (await again.log_in("olga", one_time[1])).status == 401
        second = await again.log_in("olga", NEW_PASSWORD)
        assert (second.status, second.headers["Location"]) == (303, "/")
    finally:
        await again.close()
    changed = web.booted.wait_event("password.changed")
    assert changed["fields"] == {"user": "olga", "source": "127.0.0.1"}
    assert NEW_PASSWORD not in (web.booted.data_dir / "events.log").read_text()
