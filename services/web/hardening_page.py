"""The hardening page: the `audit` command's checks, each fix a link to the page where it
is made."""

from __future__ import annotations

import html

from aiohttp import web

from firmware.admin.hardening import Check, format_checks, hardening_checks
from services.web.app_context import CONTEXT
from services.web.layout import frame

FIX_PAGES = (
    ("admin password", "/config#users"),
    ("unneeded protocols", "/config#services"),
    ("allow-lists", "/config#services"),
    ("PTP answers", "/config#services"),
    ("telnet off", "/config#services"),
    ("NTP keys", "/config#ntp"),
    ("keypad locked", "/#panel"),
    ("remote syslog", "/config#syslog"),
    ("TLS 1.2", "/certificate"),
)
"""Where each check is fixed, by the start of its name; the rest are fixed on the box
itself (new host keys)."""


def fix_page(check: Check) -> str:
    return next((path for start, path in FIX_PAGES if check.name.startswith(start)), "")


def _row(check: Check) -> str:
    if check.not_applicable:
        note = f"why: {html.escape(check.not_applicable)}"
    elif check.passed:
        note = ""
    else:
        path, fix = fix_page(check), html.escape(check.fix)
        note = f'fix: <a href="{path}">{fix}</a>' if path else f"fix: {fix}"
    mark = check.mark.strip()
    return (
        f'<tr><td class="{mark}">{mark}</td><td>{html.escape(check.name)}</td><td>{note}</td></tr>'
    )


async def show(request: web.Request) -> web.Response:
    controls = request.app[CONTEXT].controls
    checks = hardening_checks(controls.store.config, controls.data_dir, controls.keypad)
    summary = html.escape(format_checks(checks).splitlines()[-1])
    table = f'<table id="checks">{"".join(_row(check) for check in checks)}</table>'
    body = f"<section><h1>Hardening</h1><p>{summary}</p>{table}</section>"
    return frame(request, "hardening", body)


ROUTES = [web.get("/hardening", show)]
