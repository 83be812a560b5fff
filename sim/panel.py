"""The simulated front panel: a framebuffer for the display and injected key presses."""

from __future__ import annotations

import asyncio

from hal.panel import Key


class SimDisplay:
    def __init__(self, rows: int, columns: int) -> None:
        self.rows = rows
        self.columns = columns
        self.framebuffer = [" " * columns for _ in range(rows)]

    def show(self, lines: list[str]) -> None:
        padded = (lines + [""] * self.rows)[: self.rows]
        self.framebuffer = [line[: self.columns].ljust(self.columns) for line in padded]


class SimKeypad:
    def __init__(self) -> None:
        self.pressed: asyncio.Queue[Key] = asyncio.Queue(maxsize=100)

    def inject(self, key: Key) -> None:
        if not self.pressed.full():
            self.pressed.put_nowait(key)

    async def key(self) -> Key:
        return await self.pressed.get()
