"""The web application: middlewares in order, routes in one list, security headers on every
reply; and the plain-HTTP application that only redirects."""

from __future__ import annotations

import html

from aiohttp import web

from services.web import api
from services.web.app_context import CONTEXT, SESSION, WebContext, page
from services.web.auth import (
    CSRF_FIELD,
    csrf_middleware,
    log_in,
    log_out,
    session_middleware,
    show_login,
)
from services.web.headers import add_security_headers
from services.web.metrics import StatusCollector, exposition


async def home(request: web.Request) -> web.Response:
    context, session = request.app[CONTEXT], request[SESSION]
    timing = context.status().get("timing", {})
    state = html.escape(str(timing.get("sync_state", "starting")))
    name, user = html.escape(context.hostname), html.escape(session.user)
    logout = (
        f'<form method="post" action="/logout"><input type="hidden" name="{CSRF_FIELD}" '
        f'value="{session.csrf}"><button type="submit">Log out {user}</button></form>'
    )
    body = f"<h1>{name}</h1><p>sync state {state}</p><p>{user} ({session.shell.role})</p>{logout}"
    return page(f"{context.hostname} time server", body)


async def metrics(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    collector = StatusCollector(context.status, lambda: context.login_failures.count)
    body, content_type = exposition(collector)
    return web.Response(body=body, headers={"Content-Type": content_type})


def make_app(context: WebContext) -> web.Application:
    app = web.Application(
        middlewares=[session_middleware, csrf_middleware], client_max_size=64 * 1024
    )
    app[CONTEXT] = context
    app.on_response_prepare.append(add_security_headers)
    app.add_routes(
        [
            web.get("/", home),
            web.get("/login", show_login),
            web.post("/login", log_in),
            web.post("/logout", log_out),
            web.get("/metrics", metrics),
            *api.ROUTES,
        ]
    )
    return app


def make_redirect_app(https_port: int) -> web.Application:
    """The plain-HTTP port: every request is sent to the same path over HTTPS."""

    async def redirect(request: web.Request) -> web.Response:
        host = request.url.host if request.url.host and _plain_host(request.url.host) else None
        local = request.transport.get_extra_info("sockname") if request.transport else None
        target = host or (str(local[0]) if local else "localhost")
        if ":" in target:
            target = f"[{target}]"
        port = "" if https_port == 443 else f":{https_port}"
        raise web.HTTPPermanentRedirect(f"https://{target}{port}{request.rel_url}")

    app = web.Application(client_max_size=1024)
    app.on_response_prepare.append(add_security_headers)
    app.add_routes([web.route("*", "/{path:.*}", redirect)])
    return app


def _plain_host(host: str) -> bool:
    """A host name or address as a client may name the appliance: nothing that could turn the
    redirect into a link somewhere else."""
    return all(c.isalnum() or c in ".-:" for c in host) and len(host) <= 253
