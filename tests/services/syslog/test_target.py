"""A collector that is down loses nothing queued and never blocks; TLS verifies the collector."""

import asyncio
import socket
import ssl
from pathlib import Path

from firmware.base.events import Event, EventBus
from services.syslog.forwarder import tls_context
from services.syslog.target import Target
from sim.clock import SteppedClock
from tests.pki import make_pki


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Collector:
    """An octet-counting syslog receiver (RFC 6587) on loopback."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", port, ssl=tls)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        try:
            while True:
                length = int((await reader.readuntil(b" "))[:-1])
                self.messages.append(await reader.readexactly(length))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()

    async def wait_for(self, count: int, seconds: float = 5.0) -> None:
        for _ in range(int(seconds / 0.02)):
            if len(self.messages) >= count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"collector got {len(self.messages)} of {count} messages")


def bus_with_events() -> tuple[EventBus, list[Event]]:
    bus = EventBus(SteppedClock(1_800_000_000 * 10**9))
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return bus, seen


async def test_messages_wait_while_collector_is_down_then_all_arrive_in_order() -> None:
    port = free_port()
    bus, seen = bus_with_events()
    target = Target(f"tcp://127.0.0.1:{port}", 1000, bus, None, reconnect_initial=0.05)
    runner = asyncio.create_task(target.run())
    for n in range(200):
        target.put(f"message {n}".encode())
    await asyncio.sleep(0.2)
    assert target.status()["queued"] == 200 and not target.connected
    assert any(e.kind == "syslog.unreachable" for e in seen)
    collector = Collector()
    await collector.start(port)
    await collector.wait_for(200)
    assert collector.messages == [f"message {n}".encode() for n in range(200)]
    assert "Connect call failed" in target.last_error, "the reason it was unreachable is kept"
    assert target.status() == {
        "connected": True,
        "tried": True,
        "last_error": target.last_error,
        "sent": 200,
        "queued": 0,
        "capacity": 1000,
        "dropped": 0,
        "errors": target.errors,
    }
    runner.cancel()
    await collector.stop()


async def test_overflow_drops_oldest_and_counts_them() -> None:
    bus, _ = bus_with_events()
    target = Target("tcp://127.0.0.1:9", 10, bus, None)
    for n in range(25):
        target.put(str(n).encode())
    assert list(target.queue) == [str(n).encode() for n in range(15, 25)]
    assert target.dropped == 15


async def test_collector_restart_is_survived() -> None:
    port = free_port()
    bus, _ = bus_with_events()
    target = Target(f"tcp://127.0.0.1:{port}", 1000, bus, None, reconnect_initial=0.05)
    runner = asyncio.create_task(target.run())
    first = Collector()
    await first.start(port)
    target.put(b"before")
    await first.wait_for(1)
    await first.stop()
    await asyncio.sleep(0.1)
    target.put(b"after")
    second = Collector()
    await second.start(port)
    await second.wait_for(1)
    assert second.messages[-1] == b"after"
    runner.cancel()
    await second.stop()


async def test_tls_collector_verified_against_configured_ca(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(pki.cert_file, pki.key_file)
    port = free_port()
    collector = Collector()
    await collector.start(port, server)
    bus, _ = bus_with_events()
    target = Target(f"tls://localhost:{port}", 100, bus, tls_context(str(pki.ca_file)), 0.05)
    runner = asyncio.create_task(target.run())
    target.put(b"over tls")
    await collector.wait_for(1)
    assert collector.messages == [b"over tls"]
    runner.cancel()
    await collector.stop()


async def test_tls_collector_with_unknown_ca_gets_nothing(tmp_path: Path) -> None:
    real = make_pki(tmp_path / "real")
    other = make_pki(tmp_path / "other")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(real.cert_file, real.key_file)
    port = free_port()
    collector = Collector()
    await collector.start(port, server)
    bus, seen = bus_with_events()
    target = Target(f"tls://localhost:{port}", 100, bus, tls_context(str(other.ca_file)), 0.05)
    runner = asyncio.create_task(target.run())
    target.put(b"secret event")
    await asyncio.sleep(0.5)
    assert collector.messages == []
    assert target.errors >= 1 and target.status()["queued"] == 1
    assert any(
        "CERTIFICATE_VERIFY_FAILED" in e.message for e in seen if e.kind == "syslog.unreachable"
    )
    runner.cancel()
    await collector.stop()
