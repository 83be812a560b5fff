"""Security headers on every reply, error and streamed replies too (set in
on_response_prepare, so no handler can forget them)."""

from __future__ import annotations

from aiohttp import web

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Server": "timeserver",
}
"""Cache-Control: pages show live state and secrets stay out of caches; Server: no versions."""


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)
