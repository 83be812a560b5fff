"""The frame every page after login shares (the menu and the logout button), the notice a
form leaves for the page it returns to, and the appliance's own stylesheet and script."""

from __future__ import annotations

import html
from pathlib import Path

from aiohttp import web

from services.web.app_context import CONTEXT, SESSION, page
from services.web.auth import CSRF_FIELD

STATIC_DIR = Path(__file__).parent / "static"
STATIC = {"style.css": "text/css", "dashboard.js": "text/javascript"}
"""Every file the console serves besides its pages: named here, so nothing else is reachable."""
MENU = (("/", "Dashboard"), ("/config", "Configuration"), ("/logs", "Logs"),
        ("/hardening", "Hardening"), ("/firmware", "Firmware"),
        ("/certificate", "Certificate"), ("/password", "Password"))  # fmt: skip
HERE = ' class="here"'


def csrf_input(request: web.Request) -> str:
    """The hidden field every form of the session carries."""
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{request[SESSION].csrf}">'


def frame(request: web.Request, title: str, body: str, script: str = "") -> web.Response:
    """A page with the menu, who is logged in, and the notice left by the last form."""
    context, session = request.app[CONTEXT], request[SESSION]
    links = " ".join(
        f'<a href="{path}"{HERE if path == request.path else ""}>{name}</a>' for path, name in MENU
    )
    user = html.escape(f"{session.user} ({session.shell.role})")
    logout = (
        f'<form method="post" action="/logout">{csrf_input(request)}'
        f'<button type="submit">Log out {user}</button></form>'
    )
    header = f"<header><strong>{html.escape(context.hostname)}</strong> {links}{logout}</header>"
    notice, session.notice = session.notice, None
    shown = ""
    if notice is not None:
        failed = " failed" if notice.failed else ""
        shown = f'<div class="notice{failed}" id="notice">{html.escape(notice.text)}</div>'
    tail = f'<script src="/static/{script}"></script>' if script else ""
    return page(f"{context.hostname}: {title}", f"{shown}{body}{tail}", header=header)


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    body = (STATIC_DIR / name).read_bytes()
    return web.Response(body=body, content_type=STATIC[name], charset="utf-8")
