"""The JSON API under /api/v1/: reads of the status tree and the config, and changes staged
and committed through the command layer the CLI runs (the same command lines, checks,
messages and audit), so the CLI, the pages and the API never hold three copies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from firmware.admin.shell import Reply, Status
from services.web.app_context import CONTEXT, SESSION, run_command
from services.web.auth import check_account, close_session, open_session

HTTP_STATUS = {Status.OK: 200, Status.FAILED: 409, Status.USAGE: 400}


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, indent=1))


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"body: {exc}"}),
                                 content_type="application/json") from exc  # fmt: skip
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"error": "body: a JSON object is required"}',
                                 content_type="application/json")  # fmt: skip
    return data


async def log_in(request: web.Request) -> web.Response:
    """POST {"user", "password"}: a token for `Authorization: Bearer`, the web session's
    idle timeout and lockout apply."""
    body = await _body(request)
    account, refusal = await check_account(
        request, str(body.get("user", "")), str(body.get("password", ""))
    )
    if account is None:
        return _json({"error": refusal}, 403 if "changed" in refusal else 401)
    session = open_session(request, account)
    idle_s = request.app[CONTEXT].sessions.idle_ns // 10**9
    return _json({"token": session.token, "user": account.name, "role": account.role,
                  "idle_timeout_s": idle_s})  # fmt: skip


async def log_out(request: web.Request) -> web.Response:
    close_session(request)
    return _json({"logged_out": True})


async def status(request: web.Request) -> web.Response:
    """The whole status tree, as `timeserver status --json`."""
    return _json(request.app[CONTEXT].status())


async def gps(request: web.Request) -> web.Response:
    return _json(request.app[CONTEXT].status().get("gps", {}))


async def ntp_stats(request: web.Request) -> web.Response:
    ntp = dict(request.app[CONTEXT].status().get("ntp", {}))
    ntp.pop("clients", None)
    return _json(ntp)


async def ntp_clients(request: web.Request) -> web.Response:
    return _json(request.app[CONTEXT].status().get("ntp", {}).get("clients", []))


async def services(request: web.Request) -> web.Response:
    """Each service: enabled in the config, and its state when it runs."""
    context = request.app[CONTEXT]
    running, sections = context.status(), context.config()["services"]
    return _json({
        name: {"enabled": section["enabled"], "state": running.get(name, {}).get("state", "off")}
        for name, section in sections.items()
    })  # fmt: skip


async def config(request: web.Request) -> web.Response:
    return _json(request.app[CONTEXT].config())


async def staged(request: web.Request) -> web.Response:
    return _json(request[SESSION].shell.staged)


def _run(request: web.Request, words: list[str]) -> tuple[Reply, web.Response]:
    """One command line through the interpreter, in the web session's own session."""
    reply = run_command(request, words)
    body = {"message": reply.text, "staged": request[SESSION].shell.staged}
    return reply, _json(body, HTTP_STATUS[reply.status])


async def stage(request: web.Request) -> web.Response:
    """POST {"key": value, ...}: `config set KEY VALUE` for each, stopping at a refusal."""
    body = await _body(request)
    response = _json({"message": "nothing to stage", "staged": request[SESSION].shell.staged})
    for key, value in body.items():
        reply, response = _run(request, ["config", "set", key, json.dumps(value)])
        if reply.status != Status.OK:
            break
    return response


async def discard(request: web.Request) -> web.Response:
    return _run(request, ["config", "discard"])[1]


async def commit(request: web.Request) -> web.Response:
    """POST {} or {"confirmed_s": N}: `config commit [confirmed N]`."""
    body = await _body(request) if request.can_read_body else {}
    seconds = body.get("confirmed_s")
    words = ["config", "commit"] + ([] if seconds is None else ["confirmed", str(seconds)])
    return _run(request, words)[1]


ROUTES = [
    web.post("/api/v1/login", log_in),
    web.delete("/api/v1/session", log_out),
    web.get("/api/v1/status", status),
    web.get("/api/v1/gps", gps),
    web.get("/api/v1/ntp/stats", ntp_stats),
    web.get("/api/v1/ntp/clients", ntp_clients),
    web.get("/api/v1/services", services),
    web.get("/api/v1/config", config),
    web.get("/api/v1/config/staged", staged),
    web.post("/api/v1/config/staged", stage),
    web.delete("/api/v1/config/staged", discard),
    web.post("/api/v1/config/commit", commit),
]
