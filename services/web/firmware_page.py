"""The firmware page: `firmware status` (the running version, the slots, the trial) for
everyone; for admins a form uploading a bundle into the upload area, streamed to disk a
chunk at a time within `[firmware] upload_max_bytes` (the SFTP area's own limit and rule),
then installed by the command line's `firmware install NAME`: the same verification, one-line
refusals, audit, and restart into the new slot."""

from __future__ import annotations

import html

from aiohttp import BodyPartReader, web

from firmware.admin.shell import Reply, Status
from firmware.base.events import Severity
from firmware.upgrade.slots import UPLOAD_DIR
from firmware.upgrade.upload_area import IncomingFile, UploadRefused
from services.web.app_context import CONTEXT, SESSION, run_command
from services.web.layout import csrf_input, frame
from services.web.sessions import Notice
from services.web.uploads import (
    UploadError,
    form_reader,
    next_chunk,
    next_part,
    read_part,
    skip_part,
)

FORM = """<form method="post" action="/firmware/upload" enctype="multipart/form-data"
 class="change" id="upload">{csrf}
<label><input type="checkbox" name="allow_downgrade"> allow a downgrade (audited)</label>
<label>Firmware bundle <input type="file" name="bundle" required></label>
<button type="submit">Upload and install</button></form>
<p>The bundle goes into the upload area (at most {limit} bytes in all, as by SFTP), is
verified (signature by a trusted key, every file's hash, version, platform, disk) before
anything changes, installed into the inactive slot, and the appliance restarts into it on
trial.</p>"""


def _page(request: web.Request, status: int = 200) -> web.Response:
    shown = html.escape(run_command(request, ["firmware", "status"]).text)
    form = ""
    if request[SESSION].is_admin:
        limit = request.app[CONTEXT].controls.store.config.firmware.upload_max_bytes
        form = FORM.format(csrf=csrf_input(request), limit=limit)
    body = f'<section id="firmware"><h1>Firmware</h1><pre>{shown}</pre>{form}</section>'
    response = frame(request, "firmware", body)
    response.set_status(status)
    return response


async def show(request: web.Request) -> web.Response:
    return _page(request)


async def upload(request: web.Request) -> web.Response:
    """POST /firmware/upload: the bundle to disk, then `firmware install NAME`; the answer
    is shown on this page (a firmware that goes in restarts the appliance)."""
    try:
        name, downgrade = await _receive(request)
    except (UploadError, UploadRefused) as exc:
        reply = Reply.failed(f"upload refused: {exc}")
    else:
        words = ["firmware", "install", name, *(["--allow-downgrade"] if downgrade else [])]
        reply = run_command(request, words)
    failed = reply.status != Status.OK
    request[SESSION].notice = Notice(reply.text, failed)
    return _page(request, 400 if failed else 200)


async def _receive(request: web.Request) -> tuple[str, bool]:
    """The form's parts in order: the downgrade box if ticked, then the bundle, streamed
    into the upload area; its file name and whether a downgrade is allowed."""
    reader, downgrade = await form_reader(request), False
    while (part := await next_part(reader)) is not None:
        if not isinstance(part, BodyPartReader):
            await skip_part(part)
        elif part.name == "allow_downgrade":
            downgrade = bool(await read_part(part, 16))
        elif part.name == "bundle":
            return await _store(request, part), downgrade
        else:
            await skip_part(part)
    raise UploadError("no bundle in the form")


async def _store(request: web.Request, part: BodyPartReader) -> str:
    controls = request.app[CONTEXT].controls
    limit = controls.store.config.firmware.upload_max_bytes
    try:
        incoming = IncomingFile(controls.data_dir / UPLOAD_DIR, part.filename or "", limit)
    except UploadRefused:
        await skip_part(part)
        raise
    try:
        while chunk := await next_chunk(part):
            incoming.write(chunk)
    except UploadRefused:
        await skip_part(part)  # the rest of the upload read and dropped: the reply gets through
        raise
    except BaseException:
        incoming.discard()
        raise
    path = incoming.finish()
    user = request[SESSION].user
    controls.bus.emit(
        "https.upload", Severity.NOTICE, f"{user} uploaded {path.name} ({incoming.size} bytes)",
        {"user": user, "file": path.name}, security=True,
    )  # fmt: skip
    return path.name


ROUTES = [web.get("/firmware", show), web.post("/firmware/upload", upload)]
