"""What the web handlers share: the appliance's name and status, the login check, the
sessions, the event bus and the clock, kept under web.AppKey; and the page frame."""

from __future__ import annotations

import html
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from firmware.admin.authenticate import Authenticator
from firmware.admin.controls import Controls
from firmware.admin.shell import Reply, Shell
from firmware.base.events import EventBus
from firmware.base.status import StatusTree
from hal.clock import Clock
from services.web.history import History
from services.web.metrics import LoginFailures
from services.web.sessions import WebSession, WebSessions


@dataclass(frozen=True)
class WebContext:
    hostname: str
    status: Callable[[], StatusTree]
    login: Authenticator
    """The same password check, roles and lockout as SSH and the console."""
    sessions: WebSessions
    events: EventBus
    clock: Clock
    shell: Shell
    """The command layer the CLI runs: every change the web makes goes through it."""
    config: Callable[[], dict[str, Any]]
    """The config in effect, secrets redacted (as `config show`)."""
    metrics_allow: list[str] = field(default_factory=list)
    """Networks that may scrape /metrics without logging in."""
    login_failures: LoginFailures = field(default_factory=LoginFailures)
    controls: Controls = field(kw_only=True)
    """What the command line reads besides its replies: the event and audit logs, the
    hardening checks' inputs, the front panel."""
    served_ns: Callable[[], int] | None = None
    """The served clock (UTC as the appliance serves it); the host clock when None."""
    history: History = field(default_factory=History)


CONTEXT = web.AppKey("context", WebContext)
SESSION = web.RequestKey("session", WebSession)
BEARER = web.RequestKey("bearer", bool)
"""The session came as an Authorization header, which browsers never send by themselves."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/style.css"></head>
<body>{header}<main>{body}</main></body></html>
"""


def page(title: str, body: str, status: int = 200, header: str = "") -> web.Response:
    """An HTML page; `body` and `header` are markup already escaped by the caller."""
    text = PAGE.format(title=html.escape(title), body=body, header=header)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def see_other(location: str) -> web.Response:
    """After a form: go to `location` with a GET."""
    return web.Response(status=303, headers={"Location": location})


def run_command(request: web.Request, words: list[str]) -> Reply:
    """One command line through the CLI's interpreter, in this web session: the same
    checks, roles, messages and audit as on SSH."""
    return request.app[CONTEXT].shell.run(shlex.join(words), request[SESSION].shell)
