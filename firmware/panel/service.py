"""Runs the panel application on a display and keypad, and offers it on a control socket
in the data directory for `timeserver panel`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from firmware.base.service import ServiceTasks
from firmware.panel.app import PanelApp
from hal.clock import Clock
from hal.panel import Display, Key, Keypad

REFRESH_S = 0.5
MAX_REQUEST = 1024


class PanelService:
    name = "panel"

    def __init__(
        self,
        app: PanelApp,
        display: Display,
        keypad: Keypad,
        clock: Clock,
        socket_path: Path,
        inject: Callable[[Key], None] | None,
    ) -> None:
        self.app = app
        self.display = display
        self.keypad = keypad
        self.clock = clock
        self.socket_path = socket_path
        self.inject = inject
        self.tasks = ServiceTasks()
        self.server: asyncio.Server | None = None
        self.shown: list[str] = []
        self.keys_handled = 0
        self.active_at = time.monotonic_ns()
        """The last key, or the last refresh that found the keypad locked (CLOCK_MONOTONIC)."""

    async def start(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        self.server = await asyncio.start_unix_server(
            self._client, str(self.socket_path), limit=MAX_REQUEST
        )
        os.chmod(self.socket_path, 0o600)
        self.refresh()
        self.tasks.spawn(self._keys(), "panel keys")
        self.tasks.spawn(self._tick(), "panel refresh")

    def refresh(self) -> None:
        lines = (self.app.render(self.clock.now_ns()) + [""] * self.display.rows)[
            : self.display.rows
        ]
        self.shown = [line[: self.display.columns].ljust(self.display.columns) for line in lines]
        self.display.show(self.shown)

    async def _keys(self) -> None:
        while True:
            key = await self.keypad.key()
            self.app.press(key, self.clock.now_ns())
            self.keys_handled += 1
            self.active_at = time.monotonic_ns()
            self.refresh()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)
            now = time.monotonic_ns()
            if self.app.lock.locked:
                self.active_at = now
            else:
                self.app.relock(now - self.active_at)
            self.refresh()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.LimitOverrunError, ValueError):
            while line := await reader.readline():
                reply = await self._request(line)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        writer.close()

    async def _request(self, line: bytes) -> dict[str, object]:
        try:
            request = json.loads(line)
            press = request.get("press") if isinstance(request, dict) else None
            key = Key(press) if press is not None else None
            digit = request.get("digit") if isinstance(request, dict) else None
            if digit is not None and (type(digit) is not int or not 0 <= digit <= 9):
                raise ValueError(digit)
        except (ValueError, TypeError):
            keys = [k.value for k in Key]
            return {"error": f'expected {{"press": KEY}}, KEY one of {keys}, or {{"digit": 0-9}}'}
        if digit is not None:
            self.app.type_digit(digit, self.clock.now_ns())
            self.active_at = time.monotonic_ns()
            self.refresh()
        if key is not None:
            if self.inject is None:
                return {"error": "this panel has a real keypad; press its keys"}
            target = self.keys_handled + 1
            self.inject(key)
            for _ in range(100):
                if self.keys_handled >= target:
                    break
                await asyncio.sleep(0.02)
        return {"lines": self.shown, "locked": self.app.lock.locked}

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        await self.tasks.cancel_all()
        if self.server is not None:
            self.server.close()
            self.server = None
        self.socket_path.unlink(missing_ok=True)

    def status(self) -> dict[str, object]:
        return {"keypad_locked": self.app.lock.locked, "socket": str(self.socket_path)}
