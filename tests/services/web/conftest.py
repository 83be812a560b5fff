"""The web application in process, on a test server, with real accounts, the real login guard
and a stepped clock; cookies are carried by hand so each test sees exactly what is sent."""

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import DummyCookieJar, web
from aiohttp.test_utils import TestClient

from firmware.admin.authenticate import Authenticator
from firmware.base.config.schema import Admin
from firmware.base.config.store import redacted
from services.web.app import make_app
from services.web.app_context import WebContext
from services.web.sessions import WebSessions
from tests.firmware.admin.conftest import MONITOR_PASSWORD, Bench

ADMIN_PASSWORD = "correct horse battery"
__all__ = ["ADMIN_PASSWORD", "MONITOR_PASSWORD", "Browser", "WebBench"]

AiohttpClient = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


class Browser:
    """A client that logs in the way the login page asks, and keeps its session cookie."""

    def __init__(self, client: TestClient[web.Request, web.Application]) -> None:
        self.client = client
        self.session = ""
        self.csrf = ""

    def cookies(self) -> dict[str, str]:
        return {"Cookie": f"ts_session={self.session}"} if self.session else {}

    async def log_in(self, user: str, password: str) -> web.Response:
        form = await self.client.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', await form.text())
        assert token is not None
        cookie = form.cookies["ts_login"].value
        response = await self.client.post(
            "/login", data={"login_token": token[1], "user": user, "password": password},
            headers={"Cookie": f"ts_login={cookie}"}, allow_redirects=False,
        )  # fmt: skip
        if response.status == 303:
            self.session = response.cookies["ts_session"].value
            home = await self.get(response.headers["Location"])
            found = re.search(r'name="csrf" value="([^"]+)"', await home.text())
            assert found is not None
            self.csrf = found[1]
        return response

    async def get(self, path: str) -> web.Response:
        return await self.client.get(path, headers=self.cookies(), allow_redirects=False)

    async def post(self, path: str, csrf: str | None = None, **kwargs: object) -> web.Response:
        return await self.send("POST", path, csrf, **kwargs)

    async def send(
        self, method: str, path: str, csrf: str | None = None, **kwargs: object
    ) -> web.Response:
        headers = self.cookies() | ({"X-CSRF-Token": csrf} if csrf is not None else {})
        return await self.client.request(
            method, path, headers=headers, allow_redirects=False, **kwargs
        )


class WebBench(Bench):
    """The admin command line's bench (accounts, config store, interpreter) behind the web
    application."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.users.set_password("admin", ADMIN_PASSWORD)
        self.status = {
            "timing": {"sync_state": "LOCKED", "est_error_ns": 120},
            "gps": {"state": "running", "fix": "THREE_D", "satellites_used": 9},
            "ntp": {"state": "running", "requests": 5, "clients": [{"address": "192.0.2.7"}]},
        }
        self.sessions = WebSessions(Admin().idle_timeout_s)
        login = Authenticator(self.users, self.guard, self.bus, self.clock)
        self.context = WebContext(
            "ts-1", lambda: self.status, login, self.sessions, self.bus, self.clock,
            self.interpreter(), lambda: redacted(self.store.config), controls=self.controls,
        )  # fmt: skip

    def kinds(self) -> list[str]:
        return [event.kind for event in self.seen]


@pytest.fixture
def bench(tmp_path: Path) -> WebBench:
    return WebBench(tmp_path)


@pytest.fixture
async def browser(bench: WebBench, aiohttp_client: AiohttpClient) -> Browser:
    return Browser(await aiohttp_client(make_app(bench.context), cookie_jar=DummyCookieJar()))
