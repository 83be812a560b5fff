"""A firmware bundle uploaded from the web page with aiohttp's client, as a browser's form
sends it: an upload over `[firmware] upload_max_bytes` is refused and leaves the upload area
empty, a file that is no bundle is refused with one line, and a signed bundle is streamed
into the upload area, installed by `firmware install NAME`, and the appliance restarts into
slot b."""

import re
from pathlib import Path

from firmware import __version__
from tests.interop.https_appliance import ADMIN_PASSWORD, WebClient, boot_web
from tests.scenarios.firmware_bundles import build, bumped, release_key, trust

LIMIT = 16 << 20


async def test_web_upload_installs_into_slot_b_and_over_the_limit_leaves_nothing(
    tmp_path: Path,
) -> None:
    key, _ = release_key(tmp_path)
    newer = bumped(__version__)
    bundle = build(key, tmp_path / f"timeserver-{newer}.bundle", newer)
    trust(tmp_path / "box" / "data", key)
    web = boot_web(tmp_path / "box", f"[firmware]\ntrial_seconds = 3\nupload_max_bytes = {LIMIT}\n")
    upload = web.booted.data_dir / "upload"
    filler = tmp_path / "filler.bundle"
    filler.write_bytes(b"\0" * (LIMIT + 1))
    client = WebClient(web)
    try:
        assert (await client.log_in("admin", ADMIN_PASSWORD)).status == 303
        assert f"running: firmware {__version__} from the base install" in await client.text(
            "/firmware"
        )
        with filler.open("rb") as stream:
            over = await client.upload("/firmware/upload", {"bundle": (filler.name, stream)})
        assert over.status == 400
        assert f"upload refused: the upload area holds at most {LIMIT} bytes" in await over.text()
        assert list(upload.iterdir()) == []

        junk = await client.upload("/firmware/upload", {"bundle": ("junk.bundle", b"no" * 512)})
        assert junk.status == 400
        refusal = re.search(
            r'id="notice">(firmware install refused: [^<]*)</div>', await junk.text()
        )
        assert refusal and "\n" not in refusal[1], await junk.text()

        with bundle.open("rb") as stream:
            done = await client.upload("/firmware/upload", {"bundle": (bundle.name, stream)})
        text = await done.text()
        assert done.status == 200, text
        assert f"firmware {newer} signed by key" in text and "installing into slot b" in text
        assert (upload / bundle.name).read_bytes() == bundle.read_bytes()
    finally:
        await client.close()
    web.booted.wait_event("appliance.ready", count=2, seconds=90)
    assert f"firmware {newer} from slot b" in web.booted.stdout()
    again = WebClient(web)
    try:
        assert (await again.log_in("admin", ADMIN_PASSWORD)).status == 303
        assert f"running: firmware {newer} from slot b" in await again.text("/firmware")
    finally:
        await again.close()
    uploaded = web.booted.wait_event("https.upload")
    assert uploaded["fields"] == {"user": "admin", "file": "junk.bundle"}
    assert web.booted.stop(seconds=10)[0] == 0
