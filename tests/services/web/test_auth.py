"""Web logins and sessions: the same accounts, hashes and lockout as SSH, failures as events
with the source, strict cookies that end with the idle timeout, CSRF tokens on every change,
monitors that change nothing."""

import re

from firmware.base.config.schema import Admin
from tests.services.web.conftest import ADMIN_PASSWORD, MONITOR_PASSWORD, Browser, WebBench


async def test_login_sets_a_strict_cookie_that_lasts_the_idle_timeout(browser: Browser) -> None:
    response = await browser.log_in("admin", ADMIN_PASSWORD)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.cookies["ts_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["max-age"] == "600"
    home = await browser.get("/")
    assert home.status == 200
    assert "admin (admin)" in await home.text()


async def test_a_wrong_password_is_a_security_event_with_the_source(
    browser: Browser, bench: WebBench
) -> None:
    response = await browser.log_in("admin", "guess-guess-guess")
    assert response.status == 401
    assert "ts_session" not in response.cookies
    (event,) = [e for e in bench.seen if e.kind == "login.failed"]
    assert event.security and event.fields == {"user": "admin", "source": "127.0.0.1"}
    assert event.message == (
        "failed web login for 'admin' from 127.0.0.1: bad user name or password"
    )


async def test_failures_lock_out_the_account_as_on_ssh(browser: Browser, bench: WebBench) -> None:
    for _ in range(5):
        assert (await browser.log_in("admin", "guess-guess-guess")).status == 401
    assert "login.lockout" in bench.kinds()
    assert (await browser.log_in("admin", ADMIN_PASSWORD)).status == 401
    assert bench.seen[-1].message.endswith("locked out")
    # One guard for every console: SSH and the serial console are locked out too.
    assert bench.guard.locked("admin", "192.0.2.1", bench.clock.now_ns())
    bench.clock.step(Admin().lockout_s)
    assert (await browser.log_in("admin", ADMIN_PASSWORD)).status == 303


async def test_a_login_form_posted_from_elsewhere_is_refused(browser: Browser) -> None:
    response = await browser.client.post(
        "/login", data={"login_token": "x", "user": "admin", "password": ADMIN_PASSWORD},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 403
    assert "ts_session" not in response.cookies


async def test_a_change_without_the_csrf_token_is_refused(browser: Browser) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    assert (await browser.post("/logout")).status == 403
    assert (await browser.post("/logout", csrf="not-the-token")).status == 403
    assert (await browser.get("/")).status == 200  # still logged in
    response = await browser.post("/logout", data={"csrf": browser.csrf})
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert (await browser.get("/")).status == 303


async def test_a_monitor_reads_but_changes_nothing(browser: Browser) -> None:
    await browser.log_in("watcher", MONITOR_PASSWORD)
    assert "watcher (monitor)" in await (await browser.get("/")).text()
    refused = await browser.post("/api/v1/config", csrf=browser.csrf, json={})
    assert refused.status == 403
    assert "monitors can read" in (await refused.json())["error"]
    assert (await browser.post("/logout", csrf=browser.csrf)).status == 303


async def test_the_session_ends_after_the_idle_timeout(browser: Browser, bench: WebBench) -> None:
    await browser.log_in("admin", ADMIN_PASSWORD)
    bench.clock.step(599)
    assert (await browser.get("/")).status == 200  # use keeps it alive
    bench.clock.step(599)
    assert (await browser.get("/")).status == 200
    bench.clock.step(600)
    response = await browser.get("/")
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert (await browser.get("/api/v1/status")).status == 401


async def test_a_one_time_password_leads_to_the_password_page_first(
    browser: Browser, bench: WebBench
) -> None:
    bench.users.create("newbie", "admin", "one-time-password-1", must_change=True)
    response = await browser.client.post(
        "/api/v1/login", json={"user": "newbie", "password": "one-time-password-1"}
    )
    assert response.status == 403
    assert "must be changed first" in (await response.json())["error"]
    response = await browser.log_in("newbie", "one-time-password-1")
    assert response.status == 303 and response.headers["Location"] == "/password"
    for path in ("/", "/config", "/logs"):
        shown = await browser.get(path)
        assert (shown.status, shown.headers["Location"]) == (303, "/password")
    assert (await browser.get("/api/v1/status")).status == 403
    refused = await browser.post("/config/discard", data={"csrf": browser.csrf})
    assert refused.status == 403


async def test_a_second_login_page_keeps_the_open_form_s_token(browser: Browser) -> None:
    """A real browser fetches /favicon.ico while the form is open and is sent to /login
    again: the form it shows must still log in."""
    form = await browser.client.get("/login")
    cookie = form.cookies["ts_login"].value
    token = re.search(r'name="login_token" value="([^"]+)"', await form.text())
    assert token is not None
    again = await browser.client.get("/favicon.ico", headers={"Cookie": f"ts_login={cookie}"})
    assert again.status == 200 and token[1] in await again.text()  # followed to /login
    response = await browser.client.post(
        "/login", data={"login_token": token[1], "user": "admin", "password": ADMIN_PASSWORD},
        headers={"Cookie": f"ts_login={again.cookies['ts_login'].value}"}, allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303
    forged = await browser.client.get("/login", headers={"Cookie": 'ts_login="><script>'})
    assert "<script>" not in await forged.text()
