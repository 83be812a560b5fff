"""The web application: middlewares in order, routes in one list, security headers on every
reply; and the plain-HTTP application that only redirects."""

from __future__ import annotations

from aiohttp import web

from services.web import (
    api,
    certificate_page,
    config_page,
    dashboard,
    firmware_page,
    hardening_page,
    logs_page,
    password_page,
)
from services.web.app_context import CONTEXT, WebContext
from services.web.auth import (
    csrf_middleware,
    log_in,
    log_out,
    session_middleware,
    show_login,
)
from services.web.headers import add_security_headers
from services.web.layout import static_file
from services.web.metrics import StatusCollector, exposition


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
            *dashboard.ROUTES,
            *config_page.ROUTES,
            *logs_page.ROUTES,
            *hardening_page.ROUTES,
            *certificate_page.ROUTES,
            *password_page.ROUTES,
            *firmware_page.ROUTES,
            web.get("/static/{name}", static_file),
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
