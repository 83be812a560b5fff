"""Events reach a real rsyslog over UDP and TCP as RFC 5424 messages it parses."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.base.config import SERVICE_NAMES, parse_config
from firmware.base.events import EventBus, Severity
from hal.clock import HostClock
from services.syslog.forwarder import SyslogForwarder
from tests.interop.rsyslog import Rsyslog, start_rsyslog, start_rsyslog_tls
from tests.pki import make_pki


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    server = start_rsyslog(tmp_path / "rsyslog")
    yield server
    server.stop()


async def test_events_arrive_over_udp_and_tcp(rsyslog: Rsyslog) -> None:
    targets = [f"udp://127.0.0.1:{rsyslog.udp_port}", f"tcp://127.0.0.1:{rsyslog.tcp_port}"]
    config = parse_config({"syslog": {"targets": targets}}, "test", SERVICE_NAMES)
    bus = EventBus(HostClock())
    forwarder = SyslogForwarder(config.syslog, "ts-test", bus)
    await forwarder.start()
    try:
        bus.emit(
            "login.failed",
            Severity.WARNING,
            "login failed for admin from 192.0.2.9",
            {"user": "admin", "source": "192.0.2.9"},
            security=True,
        )
        bus.emit("appliance.ready", Severity.NOTICE, "appliance ready")
        for transport in ("udp", "tcp"):
            line = await asyncio.to_thread(rsyslog.wait_for, transport, "login failed")
            # authpriv (10) * 8 + warning (4) = 84; rsyslog re-emits what it parsed.
            assert line.startswith("<84>1 ")
            fields = line.split(" ", 7)
            assert fields[2:6] == ["ts-test", "timeserver", fields[4], "login.failed"]
            assert '[timeserver@32473 user="admin" source="192.0.2.9"]' in line
            ready = await asyncio.to_thread(rsyslog.wait_for, transport, "appliance ready")
            assert ready.startswith("<29>1 ")
    finally:
        await forwarder.stop()
    status = forwarder.status()["targets"]
    assert all(target["sent"] >= 2 for target in status.values())  # type: ignore[index]


async def test_events_arrive_over_tls_checked_against_the_ca(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    server = start_rsyslog_tls(tmp_path / "rsyslog-tls", pki)
    try:
        target = f"tls://localhost:{server.tcp_port}"
        config = parse_config(
            {"syslog": {"targets": [target], "ca_file": str(pki.ca_file)}}, "test", SERVICE_NAMES
        )
        bus = EventBus(HostClock())
        forwarder = SyslogForwarder(config.syslog, "ts-test", bus)
        await forwarder.start()
        bus.emit("config.changed", Severity.NOTICE, "config changed by admin")
        line = await asyncio.to_thread(server.wait_for, "tls", "config changed by admin")
        assert line.startswith("<29>1 ") and " ts-test timeserver " in line
        await forwarder.stop()
    finally:
        server.stop()
