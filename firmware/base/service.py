"""The contract every supervised service keeps, and a base class that keeps most of it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol


class Service(Protocol):
    """`start()` returns once the service serves (or raises, naming what failed); `wait()`
    returns or raises only when the service ends on its own, which the supervisor treats
    as a crash; `stop()` releases everything and may be called after a failed start."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def wait(self) -> None: ...

    def status(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class Backoff:
    """How long to wait before restarting what crashed: doubling after each quick crash."""

    initial: float = 1.0
    maximum: float = 60.0
    stable_after: float = 30.0
    """What ran this long before crashing is retried after `initial` again."""

    def next(self, delay: float) -> float:
        return min(delay * 2, self.maximum)


class StartError(Exception):
    """A service could not start; the message names the service's address and port."""


class ServiceTasks:
    """Background tasks of a service: the first one to end unexpectedly ends `wait()`."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.failed: asyncio.Future[None] | None = None
        self.closing = False

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        if self.failed is None or self.failed.done():
            self.failed = asyncio.get_running_loop().create_future()
        self.closing = False
        task = asyncio.create_task(coroutine, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if self.closing or task.cancelled() or self.failed is None or self.failed.done():
            return
        error = task.exception()
        self.failed.set_exception(error or RuntimeError(f"task {task.get_name()} ended"))

    async def wait(self) -> None:
        if self.failed is None:
            self.failed = asyncio.get_running_loop().create_future()
        await asyncio.shield(self.failed)

    async def cancel_all(self, grace: float = 0.0) -> None:
        """End every task; with `grace`, first give them that long to end by themselves."""
        self.closing = True
        tasks = list(self.tasks)
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        if self.failed is not None and not self.failed.done():
            self.failed.cancel()
        self.failed = None
