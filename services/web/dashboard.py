"""The dashboard: the served time and how good it is, the last hour as live charts (drawn by
static/dashboard.js from /api/v1/history), the GPS receiver with its satellites, and the
front panel's display with its keys for admins while the keypad is unlocked."""

from __future__ import annotations

import datetime
import html
from typing import Any

from aiohttp import web

from firmware.timing.sync_state import MEANING, error_text
from hal.panel import Key
from services.web.app_context import CONTEXT, SESSION, WebContext, run_command, see_other
from services.web.layout import csrf_input, frame
from services.web.sessions import Notice
from services.web.sky import satellite_views

CHARTS = (
    ("offset_ns", "Offset to GPS (ns)"),
    ("est_error_ns", "Estimated error (ns)"),
    ("requests_per_s", "NTP requests per second"),
    ("kod refused", "Kiss-o'-Death (blue) and refused (red), since NTP started"),
)
"""(series drawn, heading): the names are columns of History.series()."""


def served_utc(context: WebContext) -> str:
    now = context.served_ns() if context.served_ns else context.clock.now_ns()
    moment = datetime.datetime.fromtimestamp(now / 1e9, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def headline(context: WebContext) -> dict[str, str]:
    """The numbers at the top of the dashboard, as the page shows them and the script
    refreshes them."""
    timing = context.status().get("timing", {})
    state = str(timing.get("sync_state", "starting"))
    leap = f"{timing.get('leap_pending', '?')} pending, leap indicator "
    return {
        "served_utc": served_utc(context),
        "sync_state": state,
        "meaning": MEANING.get(state, "the timing service is not running"),
        "est_error": error_text(timing.get("est_error_ns")),
        "leap": leap + str(timing.get("leap_indicator", "?")),
    }


async def history(request: web.Request) -> web.Response:
    """GET /api/v1/history: the headline and the last hour's samples."""
    context = request.app[CONTEXT]
    return web.json_response({**headline(context), "series": context.history.series()})


def _time_section(context: WebContext) -> str:
    top = {key: html.escape(value) for key, value in headline(context).items()}
    timing = context.status().get("timing", {})
    extra = html.escape(
        f"stratum {timing.get('stratum', '?')}, refid {timing.get('refid', '?')}, "
        f"holdover {timing.get('holdover_s', 0)} s"
    )
    return (
        f'<section><h1>Time</h1><p class="big" id="served-time">{top["served_utc"]}</p>'
        f'<p><span class="big state-{top["sync_state"]}" id="sync-state">{top["sync_state"]}'
        f'</span> <span id="sync-meaning">{top["meaning"]}</span></p>'
        f'<table><tr><th>estimated error</th><td id="est-error">{top["est_error"]}</td></tr>'
        f'<tr><th>leap</th><td id="leap">{top["leap"]}</td></tr>'
        f"<tr><th>served as</th><td>{extra}</td></tr></table>"
        '<p id="live">waiting for the first update</p></section>'
    )


def _charts() -> str:
    cells = "".join(
        f'<div><h2>{html.escape(title)}</h2><canvas data-series="{series}" data-points="0">'
        "</canvas></div>"
        for series, title in CHARTS
    )
    return f'<section><h1>Last hour</h1><div class="charts">{cells}</div></section>'


def _gps_section(gps: dict[str, Any]) -> str:
    if not gps:
        return "<section><h1>GPS</h1><p>no GPS receiver running</p></section>"
    facts = html.escape(
        f"{gps.get('fix', '?')} fix, {gps.get('satellites_used', 0)} satellites used of "
        f"{gps.get('satellites_in_view', 0)} in view, antenna {gps.get('antenna', '?')}"
    )
    satellites = gps.get("satellites")
    views = satellite_views(satellites if isinstance(satellites, list) else [])
    return f'<section id="gps"><h1>GPS</h1><p>{facts}</p>{views}</section>'


def _panel_section(request: web.Request) -> str:
    """The display for admins while the keypad is unlocked, with one button per key."""
    controls = request.app[CONTEXT].controls
    if controls.keypad is None or controls.panel is None:
        return ""
    if controls.keypad.locked or not request[SESSION].is_admin:
        why = "the keypad is locked" if controls.keypad.locked else "admins only"
        return f'<section id="panel"><h1>Front panel</h1><p>{why}</p></section>'
    reply = run_command(request, ["panel", "show"])
    buttons = "".join(
        f'<button type="submit" name="key" value="{key.value}">{key.value}</button>' for key in Key
    )
    return (
        f'<section id="panel" class="panel"><h1>Front panel</h1>'
        f"<pre>{html.escape(reply.text)}</pre>"
        f'<form method="post" action="/panel">{csrf_input(request)}{buttons}</form></section>'
    )


async def dashboard(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    body = (
        _time_section(context)
        + _charts()
        + _gps_section(context.status().get("gps", {}))
        + _panel_section(request)
    )
    return frame(request, "dashboard", body, script="dashboard.js")


async def press(request: web.Request) -> web.Response:
    """POST /panel key=KEY: `panel press KEY`, while the keypad is unlocked."""
    controls, session = request.app[CONTEXT].controls, request[SESSION]
    key = str((await request.post()).get("key", ""))
    if controls.keypad is not None and controls.keypad.locked:
        session.notice = Notice("the keypad is locked: unlock it first", True)
    elif key not in {k.value for k in Key}:
        session.notice = Notice(f"no key {key!r}", True)
    else:
        run_command(request, ["panel", "press", key])
    return see_other("/#panel")


ROUTES = [
    web.get("/", dashboard),
    web.post("/panel", press),
    web.get("/api/v1/history", history),
]
