"""The supervisor starts in order, stops what it is told, retries failed starts and restarts
crashes."""

import asyncio
import os
import socket

import pytest

from firmware.base.events import Event, EventBus
from firmware.base.service import ServiceTasks, StartError
from firmware.supervisor import Backoff, Supervisor
from hal.clock import HostClock

FAST = Backoff(initial=0.02, maximum=0.1, stable_after=10.0)


class Listener:
    """A TCP service on a given port that answers 'hello', with a switch to crash it."""

    def __init__(self, name: str, port: int, journal: list[str]) -> None:
        self.name = name
        self.port = port
        self.journal = journal
        self.server: asyncio.Server | None = None
        self.tasks = ServiceTasks()
        self.crash = asyncio.Event()

    async def start(self) -> None:
        self.journal.append(f"start {self.name}")
        try:
            self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        except OSError as exc:
            why = os.strerror(exc.errno or 0)
            raise StartError(f"cannot listen on 127.0.0.1:{self.port}/tcp: {why}") from exc
        self.tasks.spawn(self._watch(), f"{self.name} watch")

    async def _watch(self) -> None:
        await self.crash.wait()
        self.crash.clear()
        raise RuntimeError("simulated fault")

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello\n")
        await writer.drain()
        writer.close()

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        self.journal.append(f"stop {self.name}")
        await self.tasks.cancel_all()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def status(self) -> dict[str, object]:
        return {"port": self.port}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def ask(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    line = await reader.readline()
    writer.close()
    return line


def recording_bus() -> tuple[EventBus, list[Event]]:
    bus = EventBus(HostClock())
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return bus, seen


async def stop_every(supervisor: Supervisor) -> None:
    for name in list(supervisor.runners):
        await supervisor.stop(name)


async def test_starts_in_order_and_stops_each_by_name() -> None:
    bus, _ = recording_bus()
    journal: list[str] = []
    supervisor = Supervisor(bus, FAST)
    for name in ("a", "b", "c"):
        assert await supervisor.start(Listener(name, free_port(), journal))
    for name in ("c", "a", "b"):
        await supervisor.stop(name)
    assert journal == ["start a", "start b", "start c", "stop c", "stop a", "stop b"]
    assert supervisor.status() == {}


async def test_port_in_use_is_reported_retried_and_others_keep_running() -> None:
    bus, seen = recording_bus()
    journal: list[str] = []
    supervisor = Supervisor(bus, FAST)
    busy_port, good_port = free_port(), free_port()
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", busy_port))
    squatter.listen()
    try:
        assert not await supervisor.start(Listener("blocked", busy_port, journal))
        assert await supervisor.start(Listener("good", good_port, journal))
        await asyncio.sleep(0.15)
        failures = [e.message for e in seen if e.kind == "service.failed_to_start"]
        assert len(failures) >= 2
        assert failures[0] == (
            f"blocked failed to start: cannot listen on 127.0.0.1:{busy_port}/tcp: "
            "Address already in use; retrying in 0.02 s"
        )
        assert await ask(good_port) == b"hello\n"
    finally:
        squatter.close()
    for _ in range(50):
        if supervisor.status()["blocked"]["state"] == "running":
            break
        await asyncio.sleep(0.02)
    assert await ask(busy_port) == b"hello\n"
    await stop_every(supervisor)


async def test_crash_restarts_only_that_service() -> None:
    bus, seen = recording_bus()
    journal: list[str] = []
    supervisor = Supervisor(bus, FAST)
    flaky = Listener("flaky", free_port(), journal)
    steady = Listener("steady", free_port(), journal)
    await supervisor.start(flaky)
    await supervisor.start(steady)
    flaky.crash.set()
    for _ in range(50):
        await asyncio.sleep(0.02)
        if (
            supervisor.status()["flaky"]["restarts"] == 1
            and supervisor.status()["flaky"]["state"] == "running"
        ):
            break
    assert supervisor.status()["flaky"]["restarts"] == 1
    assert [e.message for e in seen if e.kind == "service.crashed"] == [
        "flaky crashed: RuntimeError: simulated fault; retrying in 0.02 s"
    ]
    assert journal.count("start steady") == 1 and "stop steady" not in journal
    assert await ask(flaky.port) == b"hello\n"
    assert await ask(steady.port) == b"hello\n"
    await stop_every(supervisor)


async def test_backoff_doubles_up_to_its_maximum() -> None:
    backoff = Backoff(initial=1, maximum=8)
    delays = [1.0]
    for _ in range(5):
        delays.append(backoff.next(delays[-1]))
    assert delays == [1, 2, 4, 8, 8, 8]


@pytest.mark.parametrize("stop_during", ["start", "retry"])
async def test_stop_while_starting_or_retrying_releases_the_service(stop_during: str) -> None:
    bus, _ = recording_bus()
    journal: list[str] = []
    supervisor = Supervisor(bus, FAST)
    port = free_port()
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:
        if stop_during == "retry":
            await supervisor.start(Listener("x", port, journal))
        else:
            asyncio.ensure_future(supervisor.start(Listener("x", port, journal)))
            await asyncio.sleep(0)
        await supervisor.stop("x")
    finally:
        holder.close()
    assert journal[-1] == "stop x"
    assert supervisor.status() == {}


async def test_starting_a_running_service_again_stops_the_old_one_first() -> None:
    bus, _ = recording_bus()
    journal: list[str] = []
    supervisor = Supervisor(bus, FAST)
    port = free_port()
    first = Listener("a", port, journal)
    assert await supervisor.start(first)
    assert await supervisor.start(Listener("a", port, journal))  # same port: needs it free
    assert first.server is None
    assert journal == ["start a", "stop a", "start a"]
    await stop_every(supervisor)
