"""Runs services: starts each and waits for its first attempt, restarts it with backoff,
stops it when told (the appliance stops them in reverse, in its fixed order)."""

from __future__ import annotations

import asyncio
import contextlib
import os

from firmware.base.events import EventBus, Severity
from firmware.base.service import Backoff, Service, StartError

__all__ = ["Backoff", "Runner", "Supervisor", "describe_failure"]


def describe_failure(error: BaseException) -> str:
    if isinstance(error, StartError):
        return str(error)
    if isinstance(error, OSError) and error.errno:
        return os.strerror(error.errno)
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Runner:
    """One service's life: start, watch, restart after a crash, until told to stop."""

    def __init__(self, service: Service, events: EventBus, backoff: Backoff) -> None:
        self.service = service
        self.events = events
        self.backoff = backoff
        self.state = "starting"
        self.restarts = 0
        self.last_error = ""
        self.first_attempt = asyncio.Event()
        self.task = asyncio.create_task(self._run(), name=f"run-{service.name}")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.backoff.initial
        while True:
            try:
                await self.service.start()
            except Exception as exc:
                self._failed("failed to start", exc, delay)
                await self._cleanup()
                await asyncio.sleep(delay)
                delay = self.backoff.next(delay)
                continue
            self.state = "running"
            self.first_attempt.set()
            self.events.emit("service.started", Severity.INFO, f"{self.service.name} started")
            began = loop.time()
            try:
                await self.service.wait()
                error: BaseException = RuntimeError("service ended on its own")
            except Exception as exc:
                error = exc
            if loop.time() - began >= self.backoff.stable_after:
                delay = self.backoff.initial
            self.restarts += 1
            self._failed("crashed", error, delay)
            await self._cleanup()
            await asyncio.sleep(delay)
            delay = self.backoff.next(delay)

    def _failed(self, what: str, error: BaseException, delay: float) -> None:
        self.state = "retrying"
        self.last_error = describe_failure(error)
        self.first_attempt.set()
        self.events.emit(
            f"service.{what.replace(' ', '_')}",
            Severity.ERROR,
            f"{self.service.name} {what}: {self.last_error}; retrying in {delay:g} s",
            {"service": self.service.name},
        )

    async def _cleanup(self) -> None:
        with contextlib.suppress(Exception):
            await self.service.stop()

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self._cleanup()
        self.state = "stopped"
        self.events.emit("service.stopped", Severity.INFO, f"{self.service.name} stopped")


class Supervisor:
    def __init__(self, events: EventBus, backoff: Backoff | None = None) -> None:
        self.events = events
        self.backoff = backoff or Backoff()
        self.runners: dict[str, Runner] = {}

    async def start(self, service: Service) -> bool:
        """Start one service and wait for its first attempt; True when it is running.

        A runner of the same name is stopped first, so that no service runs twice."""
        await self.stop(service.name)
        runner = Runner(service, self.events, self.backoff)
        self.runners[service.name] = runner
        await runner.first_attempt.wait()
        return runner.state == "running"

    def retune(self, name: str, settings: object) -> bool:
        """Hand a running service new settings it takes without a restart, if it can (a
        `retune(settings) -> bool` method of its own); False: restart it instead."""
        runner = self.runners.get(name)
        retune = getattr(runner.service, "retune", None) if runner is not None else None
        return (
            runner is not None
            and runner.state == "running"
            and bool(retune is not None and retune(settings))
        )

    async def stop(self, name: str) -> None:
        runner = self.runners.pop(name, None)
        if runner is not None:
            await runner.stop()

    def status(self) -> dict[str, dict[str, object]]:
        return {
            name: {
                "state": runner.state,
                "restarts": runner.restarts,
                "last_error": runner.last_error,
                **runner.service.status(),
            }
            for name, runner in self.runners.items()
        }
