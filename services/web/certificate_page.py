"""The certificate page: the certificate HTTPS serves (`https cert show`) for everyone, and
for admins a form uploading a certificate chain and its key, installed by the same function
as the command line's `https cert install` (the same checks, refusals, audit and restart),
and a button for a new self-signed pair (`https cert reset`)."""

from __future__ import annotations

import html

from aiohttp import web

from firmware.admin.certificate_install import install_certificate
from firmware.admin.shell import Reply, Status
from firmware.base.certificates import MAX_PEM_BYTES
from services.web.app_context import CONTEXT, SESSION, run_command, see_other
from services.web.layout import csrf_input, frame
from services.web.sessions import Notice
from services.web.uploads import UploadError, read_fields

UPLOAD_FORM = """<form method="post" action="/certificate/install" enctype="multipart/form-data"
 class="change" id="install">{csrf}
<label>Certificate chain (PEM: the server's certificate first, then each issuer)
 <input type="file" name="certificate" required></label>
<label>Private key (PEM, unencrypted) <input type="file" name="key" required></label>
<button type="submit">Install</button></form>
<form method="post" action="/certificate/reset" class="change" id="reset">{csrf}
<button type="submit">New self-signed certificate</button></form>"""
NOTE = ("<p>Accepted: RSA of 2048 bits or more, EC P-256 or P-384, Ed25519; not expired. The "
        "key is kept on the appliance (0600) and never shown. HTTPS restarts with the new pair, "
        "so you log in again.</p>")  # fmt: skip


async def show(request: web.Request) -> web.Response:
    return _page(request)


def _page(request: web.Request, status: int = 200) -> web.Response:
    shown = html.escape(run_command(request, ["https", "cert", "show"]).text)
    forms = ""
    if request[SESSION].is_admin:
        forms = NOTE + UPLOAD_FORM.format(csrf=csrf_input(request))
    body = (
        f'<section id="certificate"><h1>HTTPS certificate</h1><pre>{shown}</pre>{forms}</section>'
    )
    response = frame(request, "certificate", body)
    response.set_status(status)
    return response


async def install(request: web.Request) -> web.Response:
    """The uploaded pair through install_certificate; the answer shown on this page, not
    after a redirect: a pair that goes in restarts HTTPS and with it this session."""
    try:
        fields = await read_fields(request, {"certificate": MAX_PEM_BYTES, "key": MAX_PEM_BYTES})
    except UploadError as exc:
        reply = Reply.failed(f"https cert install refused: {exc}")
    else:
        chain, key = fields.get("certificate", b""), fields.get("key", b"")
        controls = request.app[CONTEXT].controls
        reply = install_certificate(controls, request[SESSION].shell, chain, key)
    failed = reply.status != Status.OK
    request[SESSION].notice = Notice(reply.text, failed)
    return _page(request, 400 if failed else 200)


async def reset(request: web.Request) -> web.Response:
    reply = run_command(request, ["https", "cert", "reset"])
    request[SESSION].notice = Notice(reply.text, reply.status != Status.OK)
    return see_other("/certificate") if reply.status != Status.OK else _page(request)


ROUTES = [
    web.get("/certificate", show),
    web.post("/certificate/install", install),
    web.post("/certificate/reset", reset),
]
