"""The certificate page: everyone sees what HTTPS serves; admins upload a pair (a form with
files, the CSRF token its first field) that the same function as `https cert install`
checks, writes and audits; monitors get no form and cannot post one."""

import datetime

from aiohttp import FormData
from cryptography.hazmat.primitives.asymmetric import ec

from firmware.base.certificates import CERT_FILE, KEY_FILE
from tests.firmware.admin.conftest import NOW
from tests.pki import issue, key_pem, pem
from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench

MOMENT = datetime.datetime.fromtimestamp(NOW / 1e9, datetime.UTC)


def pair_form(csrf: str, certificate: bytes, key: bytes) -> FormData:
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("certificate", certificate, filename="a.crt")
    form.add_field("key", key, filename="a.key")
    return form


async def test_an_admin_installs_an_uploaded_pair(browser: Browser, bench: WebBench) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    chain = pem(issue("ts.example", key, MOMENT))
    await browser.log_in("admin", ADMIN_PASSWORD)
    wrong = pair_form(browser.csrf, chain, key_pem(ec.generate_private_key(ec.SECP256R1())))
    refused = await browser.post("/certificate/install", data=wrong)
    assert refused.status == 400
    assert "refused: the key does not match" in await refused.text()
    assert not (bench.controls.data_dir / KEY_FILE).exists()
    done = await browser.post("/certificate/install", data=pair_form(browser.csrf, chain,
                                                                       key_pem(key)))  # fmt: skip
    assert done.status == 200
    assert "subject:     CN=ts.example" in await done.text()
    assert (bench.controls.data_dir / CERT_FILE).read_bytes() == chain
    (entry,) = [e for e in bench.store.audit.entries() if e.key == "https.certificate"]
    assert (entry.who, entry.kind, entry.old) == ("admin", "tls", None)
    assert "https.certificate" in bench.kinds()


async def test_an_oversized_part_is_refused(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    huge = pair_form(browser.csrf, b"#" * (70 * 1024), b"")
    refused = await browser.post("/certificate/install", data=huge)
    assert refused.status == 400
    assert "certificate is too large (at most 65536 bytes)" in await refused.text()


async def test_a_monitor_sees_the_certificate_but_no_form(
    browser: Browser, bench: WebBench
) -> None:
    (bench.controls.data_dir / "serial").write_text("TS-0001\n")
    bench.run("https cert reset")
    await browser.log_in("watcher", MONITOR_PASSWORD)
    page = await (await browser.get("/certificate")).text()
    assert "CN=ts-1" in page and "(self-signed)" in page
    assert "<form" not in page.replace('action="/logout"', "").split("</header>", 1)[1]
    form = pair_form(browser.csrf, b"x", b"y")
    assert (await browser.post("/certificate/install", data=form)).status == 403


async def test_a_form_cut_short_is_refused_in_one_line(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    body = b'--x\r\nContent-Disposition: form-data; name="key"\r\n\r\nabc'  # no end boundary
    response = await browser.client.post(
        "/certificate/install", data=body,
        headers=browser.cookies() | {"X-CSRF-Token": browser.csrf,
                                     "Content-Type": "multipart/form-data; boundary=x"},
    )  # fmt: skip
    assert response.status == 400
    assert "https cert install refused: the form is not well-formed" in await response.text()
    assert not (bench.controls.data_dir / KEY_FILE).exists()
