"""The console service: a login session on a console port (RS-232, real or simulated);
logging out brings the login prompt back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from firmware.admin.login import LoginSession
from firmware.base.service import ServiceTasks, StartError
from hal.errors import DeviceError


class ConsolePort(Protocol):
    """Bytes to and from a terminal; hal/console and sim/console provide them."""

    description: str

    async def open(self) -> None: ...

    async def read(self) -> bytes:
        """Some bytes from the terminal; b"" when the port is gone."""
        ...

    def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class ConsoleService:
    name = "console"

    def __init__(
        self, port: ConsolePort, new_session: Callable[[], LoginSession], idle_timeout_s: int
    ) -> None:
        self.port = port
        self.new_session = new_session
        self.idle_timeout_s = idle_timeout_s
        self.tasks = ServiceTasks()
        self.bytes_in = 0

    async def start(self) -> None:
        try:
            await self.port.open()
        except DeviceError as exc:
            raise StartError(str(exc)) from exc
        self.tasks.spawn(self._serve(), "console")

    async def _serve(self) -> None:
        session = self.new_session()
        self.port.write(session.greeting())
        while True:
            try:
                data = await asyncio.wait_for(self.port.read(), self.idle_timeout_s)
            except TimeoutError:
                if session.session is not None:  # logged in and idle: log out
                    session = self.new_session()
                    self.port.write(b"\r\nidle too long; logged out\r\n" + session.greeting())
                continue
            if not data:
                raise ConnectionError(f"console {self.port.description} went away")
            self.bytes_in += len(data)
            self.port.write(await session.feed(data))

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        await self.tasks.cancel_all()
        await self.port.close()

    def status(self) -> dict[str, object]:
        return {"port": self.port.description, "bytes_in": self.bytes_in}
