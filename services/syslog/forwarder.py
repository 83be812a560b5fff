"""The syslog service: every event goes to each configured collector's queue."""

from __future__ import annotations

import os
import ssl

from firmware.base.config.schema import Syslog
from firmware.base.events import Event, EventBus
from firmware.base.service import ServiceTasks, StartError
from services.syslog.message import encode_message
from services.syslog.target import Target


def tls_context(ca_file: str) -> ssl.SSLContext:
    """Verify the collector's certificate and name (RFC 5425); TLS 1.2 at the least."""
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise StartError(f"cannot load CA file {ca_file!r}: {exc}") from exc
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class SyslogForwarder:
    name = "syslog"

    def __init__(self, config: Syslog, hostname: str, events: EventBus) -> None:
        self.config = config
        self.hostname = hostname
        self.events = events
        self.targets: list[Target] = []
        self.tasks = ServiceTasks()
        self.procid = os.getpid()

    async def start(self) -> None:
        needs_tls = any(url.startswith("tls://") for url in self.config.targets)
        context = tls_context(self.config.ca_file) if needs_tls else None
        self.targets = [
            Target(url, self.config.queue, self.events, context if url.startswith("tls") else None)
            for url in self.config.targets
        ]
        for target in self.targets:
            self.tasks.spawn(target.run(), f"syslog {target.url}")
        self.events.subscribe(self.forward)

    def forward(self, event: Event) -> None:
        message = encode_message(event, self.hostname, self.config.facility, self.procid)
        for target in self.targets:
            target.put(message)

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        self.events.unsubscribe(self.forward)
        await self.tasks.cancel_all()

    def status(self) -> dict[str, object]:
        return {"targets": {target.url: target.status() for target in self.targets}}
