"""The password page: a logged-in user changes their own password (the current one, the new
one twice) with the same policy, scrypt hash and events as `passwd` on the consoles
(firmware/admin/password_change.py). A session that logged in with a one-time password is
sent here before anything else, and is not asked for the password it has just typed."""

from __future__ import annotations

from aiohttp import web

from firmware.admin.password_change import (
    current_password_ok,
    new_password_problem,
    store_new_password,
)
from services.web.app_context import CONTEXT, SESSION, see_other
from services.web.layout import csrf_input, frame
from services.web.sessions import Notice, WebSession

MAX_LENGTH = 1024
FORM = """<section id="password"><h1>Change your password</h1>{why}
<form method="post" action="/password" class="change">{csrf}{current}
<label>New password <input type="password" name="new" autocomplete="new-password" required>
</label>
<label>Retype new password <input type="password" name="confirm" autocomplete="new-password"
 required></label>
<button type="submit">Change password</button></form></section>"""
CURRENT = """<label>Current password <input type="password" name="current"
 autocomplete="current-password" required></label>"""
ONE_TIME = "<p>The one-time password must be changed now (at least 12 characters).</p>"


async def show(request: web.Request) -> web.Response:
    session: WebSession = request[SESSION]
    one_time = session.must_change_password
    body = FORM.format(
        why=ONE_TIME if one_time else "", csrf=csrf_input(request),
        current="" if one_time else CURRENT,
    )  # fmt: skip
    return frame(request, "password", body)


async def change(request: web.Request) -> web.Response:
    """POST /password: the change, or the reason it was refused shown on the form again."""
    context, session = request.app[CONTEXT], request[SESSION]
    form = await request.post()
    current, new, confirm = (str(form.get(name, ""))[:MAX_LENGTH]
                             for name in ("current", "new", "confirm"))  # fmt: skip
    users, user, source = context.controls.users, session.user, session.shell.source
    if not session.must_change_password and not await current_password_ok(
        users, context.events, user, source, current
    ):
        session.notice = Notice("Wrong password.", failed=True)
        return see_other("/password")
    problem = new_password_problem(new, confirm)
    if problem:
        session.notice = Notice(problem, failed=True)
        return see_other("/password")
    await store_new_password(users, context.events, user, source, new)
    session.must_change_password = False
    session.notice = Notice("Password changed.")
    return see_other("/")


ROUTES = [web.get("/password", show), web.post("/password", change)]
