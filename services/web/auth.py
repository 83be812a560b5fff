"""Who is asking: the session cookie, the CSRF token on every state-changing request, the
role (monitors change nothing), and the login and logout pages."""

from __future__ import annotations

import hmac
import html
import re
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler

from firmware.admin.shell import Origin
from firmware.admin.users import User
from firmware.base.access import RuleSet
from firmware.base.events import Severity
from services.web.app_context import BEARER, CONTEXT, SESSION, page, see_other
from services.web.sessions import WebSession
from services.web.uploads import first_field

COOKIE = "ts_session"
LOGIN_COOKIE = "ts_login"
"""The login form's own token (double submit): a form posted from another site lacks it."""
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = frozenset({"/login", "/api/v1/login", "/static/style.css"})
PASSWORD_PAGE = "/password"
FIRST_LOGIN = frozenset({PASSWORD_PAGE, "/logout", "/static/style.css"})
"""All a session logged in with a one-time password reaches until it is changed."""
OWN_ACCOUNT = frozenset({"/logout", PASSWORD_PAGE})
"""What a monitor may post: its own logout and its own password."""
LOGIN_FORM_S = 600
LOGIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def _cookie(response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="Strict"
    )


def _refuse(request: web.Request, status: int, message: str) -> web.Response:
    if request.path.startswith("/api/"):
        return web.json_response({"error": message}, status=status)
    return page("refused", f"<h1>{status}</h1><p>{html.escape(message)}</p>", status)


def _open_metrics(request: web.Request) -> bool:
    """/metrics for a scraper from [services.https] metrics_allow, without a login."""
    allow = request.app[CONTEXT].metrics_allow
    if request.path != "/metrics" or not allow:  # empty: nobody, unlike a service's allow
        return False
    return RuleSet.compile([], allow).decide(request.remote or "?").allow


def _token(request: web.Request) -> tuple[str, bool]:
    """The session token and whether it came as `Authorization: Bearer` (API clients)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip(), True
    return request.cookies.get(COOKIE, ""), False


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Finds the session of the cookie or the bearer token; without one only the login
    endpoints are served, and a cookie's lifetime follows the idle timeout on every reply."""
    context = request.app[CONTEXT]
    token, bearer = _token(request)
    session = context.sessions.find(token, context.clock.now_ns()) if token else None
    if session is None:
        if request.path in PUBLIC or _open_metrics(request):
            return await handler(request)
        if request.path.startswith(("/api/", "/metrics")) or request.method not in SAFE_METHODS:
            return _refuse(request, 401, "log in first")
        return see_other("/login")
    request[SESSION], request[BEARER] = session, bearer
    if session.must_change_password and request.path not in FIRST_LOGIN:
        if request.path.startswith(("/api/", "/metrics")) or request.method not in SAFE_METHODS:
            return _refuse(request, 403, "change the one-time password first")
        response: web.StreamResponse = see_other(PASSWORD_PAGE)
    else:
        response = await handler(request)
    if SESSION in request and not bearer:  # not logged out by this request
        _cookie(response, COOKIE, session.token, context.sessions.idle_ns // 10**9)
    return response


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every state-changing request carries the session's CSRF token (a header or a form
    field, the first field of a form with files); the login form carries its own. Monitors
    change nothing but their own session and password."""
    if request.method in SAFE_METHODS or request.path in PUBLIC:
        return await handler(request)
    session: WebSession = request[SESSION]
    if request[BEARER]:
        given = session.csrf  # a header a browser never adds: no forged request carries it
    else:
        given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type == "application/x-www-form-urlencoded":
        given = str((await request.post()).get(CSRF_FIELD, ""))
    if not given and request.content_type == "multipart/form-data":
        given = await first_field(request, CSRF_FIELD, 256)
    if not given or not session.csrf_matches(given):
        return _refuse(request, 403, "missing or wrong CSRF token")
    if not session.is_admin and request.path not in OWN_ACCOUNT:
        return _refuse(request, 403, "monitors can read but not change anything")
    return await handler(request)


LOGIN_FORM = """<h1>{name}</h1>{message}
<form method="post" action="/login">
<input type="hidden" name="login_token" value="{token}">
<label>User <input name="user" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
 required></label>
<button type="submit">Log in</button>
</form>"""


def _login_token(request: web.Request) -> str:
    """The browser's login token if it has one, else a new one: a browser that fetches
    something else while the form is open (a favicon, sent here too) must not get a token
    that no longer matches the form's."""
    given = request.cookies.get(LOGIN_COOKIE, "")
    return given if LOGIN_TOKEN.fullmatch(given) else secrets.token_urlsafe(24)


def login_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    token = _login_token(request)
    name = html.escape(request.app[CONTEXT].hostname)
    shown = f'<p class="error">{html.escape(message)}</p>' if message else ""
    response = page("log in", LOGIN_FORM.format(name=name, message=shown, token=token), status)
    _cookie(response, LOGIN_COOKIE, token, LOGIN_FORM_S)
    return response


async def show_login(request: web.Request) -> web.Response:
    return login_page(request)


async def log_in(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    form = await request.post()
    expected, given = request.cookies.get(LOGIN_COOKIE, ""), str(form.get("login_token", ""))
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        return login_page(request, "The login form expired; please log in again.", 403)
    user, password = str(form.get("user", "")), str(form.get("password", ""))
    account, refusal = await check_account(request, user, password, one_time_ok=True)
    if account is None:
        return login_page(request, refusal, 401)
    session = open_session(request, account)
    response = see_other(PASSWORD_PAGE if session.must_change_password else "/")
    _cookie(response, COOKIE, session.token, context.sessions.idle_ns // 10**9)
    response.del_cookie(LOGIN_COOKIE, path="/")
    return response


async def check_account(
    request: web.Request, user: str, password: str, one_time_ok: bool = False
) -> tuple[User | None, str]:
    """The account, or None and why not, for every way in (the login page, the API). An
    account still on its one-time password logs in only where it can change it
    (`one_time_ok`: the login page, which sends it to the password page first)."""
    context = request.app[CONTEXT]
    account = await context.login.check(user[:64], password[:1024], request.remote or "?", "web ")
    if account is None:
        return None, "Login incorrect."
    if account.must_change_password and not one_time_ok:
        return None, (
            "The one-time password must be changed first: log in on the web page, over SSH or "
            "the console and set a new one."
        )
    return account, ""


def open_session(request: web.Request, account: User) -> WebSession:
    context = request.app[CONTEXT]
    source = request.remote or "?"
    origin = Origin("https", source, *_local(request))
    session = context.sessions.open(account.name, account.role, origin, context.clock.now_ns(),
                                    account.must_change_password)  # fmt: skip
    context.events.emit(
        "login.ok", Severity.NOTICE, f"{account.name} logged in from {source} (web)",
        {"user": account.name, "source": source}, security=True,
    )  # fmt: skip
    return session


def close_session(request: web.Request) -> WebSession:
    context = request.app[CONTEXT]
    session: WebSession = request.pop(SESSION)
    context.sessions.close(session.token)
    context.events.emit(
        "logout", Severity.INFO, f"{session.user} logged out from {session.shell.source} (web)",
        {"user": session.user, "source": session.shell.source},
    )  # fmt: skip
    return session


async def log_out(request: web.Request) -> web.Response:
    close_session(request)
    response = see_other("/login")
    response.del_cookie(COOKIE, path="/")
    return response


def _local(request: web.Request) -> tuple[str, int]:
    local = request.transport.get_extra_info("sockname") if request.transport else None
    return (str(local[0]), int(local[1])) if local else ("?", 0)
