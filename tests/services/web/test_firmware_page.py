"""The firmware page's upload, in process: the bundle streamed into the upload area within
`[firmware] upload_max_bytes`, an oversized one refused with nothing left behind, a file name
that is not plain refused, then handed to `firmware install NAME`; monitors see the status
and no form. (The install itself, into slot b, is tests/interop/test_https_firmware.py.)"""

import html

from aiohttp import FormData

from firmware.admin.shell import Session
from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench

MIB = 1 << 20


def bundle_form(csrf: str, name: str, data: bytes) -> FormData:
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("bundle", data, filename=name, content_type="application/octet-stream")
    return form


async def test_an_upload_lands_whole_and_goes_to_firmware_install(
    browser: Browser, bench: WebBench
) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    data = bytes(range(256)) * 1024
    response = await browser.post("/firmware/upload", data=bundle_form(browser.csrf, "t.bundle",
                                                                       data))  # fmt: skip
    text = await response.text()
    assert response.status == 400 and "firmware install is not available here" in text
    upload = bench.controls.data_dir / "upload"
    assert [path.name for path in upload.iterdir()] == ["t.bundle"]
    assert (upload / "t.bundle").read_bytes() == data
    assert "https.upload" in bench.kinds()


async def test_over_the_limit_is_refused_and_leaves_nothing(
    browser: Browser, bench: WebBench
) -> None:
    shell, session = bench.interpreter(), Session("admin", "admin", "console")
    shell.run("config set firmware.upload_max_bytes 1048576", session)
    assert "committed" in shell.run("config commit", session).text
    await browser.log_in("admin", ADMIN_PASSWORD)
    form = bundle_form(browser.csrf, "big.bundle", b"\0" * (MIB + 1))
    response = await browser.post("/firmware/upload", data=form)
    assert response.status == 400
    text = await response.text()
    assert "upload refused: the upload area holds at most 1048576 bytes" in text
    assert list((bench.controls.data_dir / "upload").iterdir()) == []
    odd = await browser.post("/firmware/upload", data=bundle_form(browser.csrf, "../x", b"1"))
    assert "': a file name is letters, digits" in html.unescape(await odd.text())
    assert list((bench.controls.data_dir / "upload").iterdir()) == []


async def test_a_monitor_sees_the_status_and_no_form(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("watcher", MONITOR_PASSWORD)
    page = await (await browser.get("/firmware")).text()
    assert "running: firmware" in page and 'action="/firmware/upload"' not in page
    form = bundle_form(browser.csrf, "t.bundle", b"x")
    assert (await browser.post("/firmware/upload", data=form)).status == 403
    assert not (bench.controls.data_dir / "upload").exists()


BROKEN_FORMS = [
    ("boundary=x", 'name="bundle"; filename="a\0b"\r\n\r\n1\r\n--x--\r\n'),  # NUL in a header
    ("boundary=x", 'name="bundle"; filename="a\nb"\r\n\r\n1\r\n--x--\r\n'),
    ("boundary=x", 'name="bundle"; filename="a.bin"\r\nContent-Type: multipart/mixed; '
                   "boundary=y\r\n\r\n--y\r\n\r\n1\r\n--y--\r\n--x--\r\n"),
    ("boundary=x", ""),  # the form ends after its first boundary
    ("", 'name="bundle"; filename="a.bin"\r\n\r\n1\r\n--x--\r\n'),  # no boundary given
]  # fmt: skip


async def test_a_form_that_is_not_well_formed_is_refused_in_one_line(
    browser: Browser, bench: WebBench
) -> None:
    """Multipart the parser cannot read (a control character in a part's header, a part
    that ends early, no boundary): a 400 with one line, not a server error, nothing kept."""
    await browser.log_in("admin", ADMIN_PASSWORD)
    for boundary, rest in BROKEN_FORMS:
        body = "--x\r\n" + (f"Content-Disposition: form-data; {rest}" if rest else "")
        response = await browser.client.post(
            "/firmware/upload", data=body.encode(),
            headers=browser.cookies() | {"X-CSRF-Token": browser.csrf,
                                         "Content-Type": f"multipart/form-data; {boundary}"},
        )  # fmt: skip
        text = html.unescape(await response.text())
        assert response.status == 400 and "upload refused: " in text, rest
        assert not any((bench.controls.data_dir / "upload").glob("*")), rest
