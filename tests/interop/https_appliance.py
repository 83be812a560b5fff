"""The appliance booted with HTTPS (and its redirect port) on free loopback ports, for the
tests that talk to it with curl, openssl, aiohttp's client and a real browser; SSH beside it
when a test also uses the command line."""

import re
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.scenarios.appliance import Booted, write_config
from tests.tools import free_port, ssh_run

ADMIN_PASSWORD = "correct horse battery"


@dataclass
class Web:
    booted: Booted
    port: int
    redirect_port: int
    ssh_port: int = 0

    def ssh(self, user: str, password: str, *command: str) -> subprocess.CompletedProcess[str]:
        return ssh_run(self.ssh_port, password, *command, user=user)

    def served_certificate(self) -> bytes:
        """The certificate a TLS handshake with the appliance gets now (DER)."""
        return ssl.PEM_cert_to_DER_cert(
            ssl.get_server_certificate(("127.0.0.1", self.port), timeout=10)
        )


def https_section(port: int, redirect_port: int) -> str:
    """[services.https] on loopback: the config text for an appliance the tests log into."""
    return (
        f'[services.https]\nport = {port}\nbind = ["127.0.0.1"]\nredirect_port = {redirect_port}\n'
    )


def boot_web(directory: Path, extra: str = "", ssh: bool = False) -> Web:
    port, redirect = free_port(), free_port()
    ssh_port = free_port() if ssh else 0
    ssh_section = f'[services.ssh]\nport = {ssh_port}\nbind = ["127.0.0.1"]\n' if ssh else ""
    config = write_config(
        directory / "config.toml", ssh_section + https_section(port, redirect) + extra
    )
    booted = Booted(directory / "data", config, password=ADMIN_PASSWORD)
    booted.wait_event("appliance.ready")
    return Web(booted, port, redirect, ssh_port)


class WebClient:
    """aiohttp's client through the login form, as a browser: the session cookie kept, the
    CSRF token read from the page after login, redirects not followed."""

    def __init__(self, web: Web) -> None:
        self.base = f"https://127.0.0.1:{web.port}"
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=False), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def log_in(self, user: str, password: str) -> aiohttp.ClientResponse:
        form = await self.text("/login")
        token = _field(form, "login_token")
        data = {"login_token": token, "user": user, "password": password}
        response = await self.http.post(f"{self.base}/login", data=data, allow_redirects=False)
        if response.status == 303:
            self.csrf = _field(await self.text(response.headers["Location"]), "csrf")
        return response

    async def text(self, path: str) -> str:
        async with self.http.get(f"{self.base}{path}", allow_redirects=False) as response:
            return await response.text()

    async def post(self, path: str, data: dict[str, str]) -> aiohttp.ClientResponse:
        """A form as the page sends it, with the session's CSRF token."""
        data = {"csrf": self.csrf, **data}
        return await self.http.post(f"{self.base}{path}", data=data, allow_redirects=False)

    async def upload(
        self, path: str, files: dict[str, tuple[str, Any]], csrf: str | None = None
    ) -> aiohttp.ClientResponse:
        """A form with files (name -> (file name, bytes or an open file)), the CSRF token
        first as the page lists it."""
        form = aiohttp.FormData()
        form.add_field("csrf", self.csrf if csrf is None else csrf)
        for name, (filename, value) in files.items():
            form.add_field(name, value, filename=filename,
                           content_type="application/octet-stream")  # fmt: skip
        return await self.http.post(f"{self.base}{path}", data=form, allow_redirects=False)


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found is not None, page
    return found[1]
