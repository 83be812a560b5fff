"""The background task of a device driver (a reader): its end is the device's end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from hal.errors import DeviceError


class DeviceTask:
    def __init__(self, name: str) -> None:
        self.name = name
        self.task: asyncio.Task[None] | None = None

    def start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self.task = asyncio.create_task(coroutine, name=self.name)

    async def wait(self) -> None:
        """Returns only by raising: the reader's own error, or DeviceError if it just ended."""
        if self.task is None:
            raise DeviceError(f"{self.name} is not running")
        await asyncio.shield(self.task)
        raise DeviceError(f"{self.name} ended")

    async def stop(self, grace: float = 0.0) -> None:
        """End the reader; with `grace`, first give it that long to end by itself."""
        task, self.task = self.task, None
        if task is None:
            return
        if grace:
            await asyncio.wait([task], timeout=grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
