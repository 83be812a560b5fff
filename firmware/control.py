"""The control socket in the data directory: how `timeserver status` asks a running appliance."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

MAX_REQUEST = 4096
StatusSource = Callable[[], dict[str, dict[str, object]]]


class ControlService:
    """Owner-only Unix socket; requests are JSON lines, answered with JSON lines."""

    name = "control"

    def __init__(
        self, path: Path, status: StatusSource, reboot: Callable[[], None] | None = None
    ) -> None:
        """`reboot`: restart through the boot loader, after `timeserver firmware install`."""
        self.path = path
        self.status_source = status
        self.reboot = reboot
        self.server: asyncio.Server | None = None
        self.closed: asyncio.Event = asyncio.Event()

    async def start(self) -> None:
        self.path.unlink(missing_ok=True)
        self.server = await asyncio.start_unix_server(
            self._client, str(self.path), limit=MAX_REQUEST
        )
        os.chmod(self.path, 0o600)
        self.closed = asyncio.Event()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, ValueError, asyncio.LimitOverrunError):
            while line := await reader.readline():
                writer.write(json.dumps(self.answer(line), default=str).encode() + b"\n")
                await writer.drain()
        writer.close()

    def answer(self, line: bytes) -> dict[str, object]:
        try:
            request = json.loads(line)
        except ValueError:
            return {"error": "requests are JSON objects, one per line"}
        command = request.get("command") if isinstance(request, dict) else None
        if command == "reboot-firmware" and self.reboot is not None:
            self.reboot()
            return {"rebooting": True}
        if command != "status":
            return {"error": 'unknown request; try {"command": "status"}'}
        return {"status": self.status_source()}

    async def wait(self) -> None:
        await self.closed.wait()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        self.path.unlink(missing_ok=True)

    def status(self) -> dict[str, object]:
        return {"socket": str(self.path)}


def ask(path: Path, request: dict[str, object], timeout: float = 5.0) -> dict[str, object]:
    """A blocking client for the command line tools."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(str(path))
        connection.sendall(json.dumps(request).encode() + b"\n")
        with connection.makefile("rb") as replies:
            answer: dict[str, object] = json.loads(replies.readline())
            return answer
