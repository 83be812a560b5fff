"""The logs page: the event log and the audit log of changes, newest first, filtered by
text, by least severity and to security events; read by the same functions as `log show`."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Iterator
from typing import Any

from aiohttp import web

from firmware.base.config.audit import AuditEntry
from firmware.base.events import Severity
from services.web.app_context import CONTEXT
from services.web.layout import frame

SHOWN = 500
"""Rows on one page at most: the newest that match."""
SHOWN_API = 1000
SEVERITIES = tuple(s.name.lower() for s in Severity)


def _matches(text: str, words: str) -> bool:
    return words.lower() in text.lower()


def matching(
    rows: Iterable[dict[str, Any]], words: str, least: str, security: bool
) -> Iterator[dict[str, Any]]:
    """The events at `least` as severe, containing `words`, security events only if asked."""
    level = SEVERITIES.index(least) if least in SEVERITIES else len(SEVERITIES) - 1
    for event in rows:
        severity = str(event.get("severity", ""))
        text = f"{event.get('kind', '')} {event.get('message', '')}"
        if severity in SEVERITIES and SEVERITIES.index(severity) > level:
            continue
        if (security and not event.get("security")) or not _matches(text, words):
            continue
        yield event


def events(rows: Iterable[dict[str, Any]], words: str, least: str, security: bool) -> Iterator[str]:
    for event in matching(rows, words, least, security):
        cells = (event.get("time", ""), event.get("severity", ""), event.get("kind", ""),
                 event.get("message", ""))  # fmt: skip
        yield "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"


def audit(entries: Iterable[AuditEntry], words: str) -> Iterator[str]:
    for e in entries:
        change = f"{json.dumps(e.old)} -> {json.dumps(e.new)}"
        cells = (e.time, e.who, e.source, e.kind, e.key, change)
        if _matches(" ".join(cells), words):
            yield "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"


def _filters(log: str, words: str, least: str, security: bool) -> str:
    logs = "".join(
        f'<option value="{value}"{" selected" if value == log else ""}>{label}</option>'
        for value, label in (("events", "event log"), ("audit", "audit log"))
    )
    levels = "".join(
        f"<option{' selected' if name == least else ''}>{name}</option>" for name in SEVERITIES
    )
    checked = " checked" if security else ""
    return (
        f'<form method="get" action="/logs"><select name="log">{logs}</select> '
        f'<label>containing <input name="q" value="{html.escape(words)}"></label>'
        f'<label>severity at least <select name="severity">{levels}</select></label>'
        f'<label><input type="checkbox" name="security"{checked}> security only</label>'
        '<button type="submit">Filter</button></form>'
    )


def filters(request: web.Request) -> tuple[str, str, bool]:
    """?q=TEXT&severity=LEAST&security=1, as the page's form and the API take them."""
    query = request.query
    return query.get("q", "")[:200], query.get("severity", "debug"), bool(query.get("security"))


async def api_events(request: web.Request) -> web.Response:
    """GET /api/v1/events: the event log, oldest first, filtered as the logs page filters
    it; ?limit=N keeps the newest N (default and most 1000)."""
    limit = request.query.get("limit", "")
    count = min(int(limit), SHOWN_API) if limit.isdigit() else SHOWN_API
    rows = list(matching(request.app[CONTEXT].controls.events.read(), *filters(request)))
    return web.json_response(rows[-count:] if count else [])


async def show(request: web.Request) -> web.Response:
    controls = request.app[CONTEXT].controls
    log, (words, least, security) = request.query.get("log", "events"), filters(request)
    if log == "audit":
        rows = list(audit(controls.store.audit.entries(), words))
        head = "<th>time</th><th>who</th><th>from</th><th>kind</th><th>key</th><th>change</th>"
    else:
        rows = list(events(controls.events.read(), words, least, security))
        head = "<th>time</th><th>severity</th><th>kind</th><th>message</th>"
    shown = rows[::-1][:SHOWN]
    summary = f"<p>{len(rows)} entries match; the newest {len(shown)} shown, newest first.</p>"
    table = f'<table id="log"><tr>{head}</tr>{"".join(shown)}</table>'
    body = f"<section><h1>Logs</h1>{_filters(log, words, least, security)}{summary}{table}"
    return frame(request, "logs", body + "</section>")


ROUTES = [web.get("/logs", show), web.get("/api/v1/events", api_events)]
