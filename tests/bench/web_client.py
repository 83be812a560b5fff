"""A browser tab on the appliance's web console for the bench: one kept-alive HTTPS
connection that trusts only the appliance's own certificate, the cookies a browser keeps,
the login form, and GETs timed to the first byte of the reply."""

from __future__ import annotations

import http.client
import re
import select
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

TIMEOUT_S = 10.0
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


class Refused(Exception):
    """The console answered a bench request with an unexpected status."""


class Tab:
    """What a browser holds for one origin: a keep-alive connection and the cookie jar.

    The certificate names `localhost` (and the appliance's hostname), not 127.0.0.1, so the
    tab connects to localhost and checks the name, with the appliance's tls.crt as the only
    trusted certificate."""

    def __init__(self, port: int, certificate: Path) -> None:
        context = ssl.create_default_context(cafile=str(certificate))
        self.connection = http.client.HTTPSConnection(
            "localhost", port, timeout=TIMEOUT_S, context=context
        )
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        self.connection.close()

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        """The status and body of one request on the kept-alive connection."""
        return self._exchange(method, path, body)[:2]

    def timed_get(self, path: str) -> float:
        """Seconds from sending a GET to the first byte of the reply readable on the socket;
        the reply is then read to its end so the connection stays usable."""
        status, _, first_byte_s = self._exchange("GET", path, None)
        if status != 200:
            raise Refused(f"GET {path}: HTTP {status}")
        return first_byte_s

    def log_in(self, user: str, password: str) -> None:
        """Through the login form, as a browser: the form's token and cookie, then the POST."""
        status, form = self.request("GET", "/login")
        found = LOGIN_TOKEN.search(form.decode())
        if status != 200 or found is None:
            raise Refused(f"GET /login: HTTP {status}, no login form")
        fields = {"login_token": found.group(1), "user": user, "password": password}
        status, _ = self.request("POST", "/login", urllib.parse.urlencode(fields))
        if status != 303 or "ts_session" not in self.cookies:
            raise Refused(f"POST /login: HTTP {status}, no session cookie")

    def _exchange(self, method: str, path: str, body: str | None) -> tuple[int, bytes, float]:
        headers = {"Host": "localhost", "Accept": "*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        self.connection.request(method, path, body, headers)
        select.select([self.connection.sock], [], [], TIMEOUT_S)
        first_byte_s = time.perf_counter() - began
        response = self.connection.getresponse()
        content = response.read()
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return response.status, content, first_byte_s

    def _keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


@dataclass
class Poller:
    """A dashboard left open: GET `path` every `interval_s` on the tab, in a thread, until
    stopped or `limit` polls are done (so a bench that fails cannot leave it running)."""

    tab: Tab
    path: str
    interval_s: float
    limit: int
    answered: int = 0
    failed: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dashboard-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S * 2)

    def _run(self) -> None:
        began = time.monotonic()
        for count in range(self.limit):
            try:
                self.tab.timed_get(self.path)
                self.answered += 1
            except (OSError, http.client.HTTPException, Refused):
                self.failed += 1
            wait = began + (count + 1) * self.interval_s - time.monotonic()
            if self._stop.wait(max(0.0, wait)):
                return
