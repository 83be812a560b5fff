"""The HTTPS service: the web application behind the gate, with the device's key pair, and
an optional plain-HTTP port that only redirects."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from aiohttp import web

from firmware.base.access import AccessRules
from firmware.base.admission import admit
from firmware.base.config.schema import HttpsSection
from firmware.base.events import EventBus
from firmware.base.service import ServiceTasks, StartError
from firmware.base.tls import server_context
from services.web.app import make_app, make_redirect_app
from services.web.app_context import WebContext
from services.web.gate import GateCounters, GatedSite, GateSettings, handler_factory
from services.web.history import SAMPLE_S

SHUTDOWN_S = 2.0
"""How long a stop waits for requests in progress."""


class HttpsService:
    name = "https"

    def __init__(
        self,
        section: HttpsSection,
        certificate: Path,
        key: Path,
        events: EventBus,
        context: WebContext,
    ) -> None:
        self.section = section
        self.certificate = certificate
        self.key = key
        self.events = events
        self.context = context
        self.access = AccessRules([], section.allow)
        self.counters = GateCounters()
        self.runners: list[web.AppRunner] = []
        self.tasks = ServiceTasks()

    def _admit(self, source: str) -> bool:
        return admit(self.access, self.events, "https", source)

    async def start(self) -> None:
        self.events.subscribe(self.context.login_failures.seen)
        try:
            tls = server_context(self.certificate, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise StartError(f"cannot load {self.certificate} and {self.key}: {exc}") from exc
        await self._serve(make_app(self.context), self.section.port, tls)
        self.tasks.spawn(self._sample(), "https history")
        redirect = self.section.redirect_port
        if redirect:
            await self._serve(make_redirect_app(self.section.port), redirect, None)

    async def _serve(self, app: web.Application, port: int, tls: ssl.SSLContext | None) -> None:
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_S
        )
        await runner.setup()
        self.runners.append(runner)
        settings = GateSettings(handler_factory(runner), tls, self._admit, self.counters)
        site = GatedSite(runner, self.section.bind, port, settings)
        try:
            await site.start()
        except OSError as exc:
            places = ", ".join(self.section.bind)
            raise StartError(f"cannot listen on {places} port {port}/tcp: {exc}") from exc

    async def _sample(self) -> None:
        """The dashboard's charts: the status tree every SAMPLE_S seconds into the ring."""
        context = self.context
        while True:
            context.history.sample(context.status(), context.clock.now_ns())
            await asyncio.sleep(SAMPLE_S)

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        await self.tasks.cancel_all()
        self.events.unsubscribe(self.context.login_failures.seen)
        for runner in reversed(self.runners):
            await runner.cleanup()
        self.runners.clear()

    def status(self) -> dict[str, object]:
        section = self.section
        places = ", ".join(f"{address}:{section.port}" for address in section.bind)
        counters = self.counters
        return {
            "listening": places,
            "redirect_port": section.redirect_port,
            "connections": counters.accepted,
            "refused": counters.refused,
            "handshake_failures": counters.handshake_failures,
        }
