"""The SNMP service on its own: the real snmpd with the config written from ours, started
and stopped by the service, reached with net-snmp's clients on loopback (run in a thread:
the front door relays on this test's event loop)."""

import asyncio
from pathlib import Path

import pytest

from firmware.base.config.schema import SnmpSection
from firmware.base.events import EventBus
from services.snmp.service import SnmpService
from sim.clock import SteppedClock
from tests.interop.netsnmp import NetSnmp, SnmpUser
from tests.tools import free_port, require

SYS_NAME = "1.3.6.1.2.1.1.5.0"
COMMUNITY = "v2c-reader-42"


def section(port: int, **keys: object) -> SnmpSection:
    return SnmpSection.model_validate(
        {"enabled": True, "port": port, "bind": ["127.0.0.1"], **keys}
    )


async def test_v2c_community_is_for_v2c_alone_and_its_allowed_sources(tmp_path: Path) -> None:
    require("snmpd")
    port = free_port()
    events = EventBus(SteppedClock(0))
    service = SnmpService(
        section(port, v2c_community=COMMUNITY, allow=["127.0.0.0/30"]),
        "clock-9", tmp_path / "snmp", events,
    )  # fmt: skip
    await service.start()
    try:
        client = NetSnmp(tmp_path / "client", port)
        v2c = await asyncio.to_thread(client.get, ["-v2c", "-c", COMMUNITY], SYS_NAME)
        assert v2c.returncode == 0 and '"clock-9"' in v2c.stdout, v2c.stderr
        v1 = await asyncio.to_thread(client.get, ["-v1", "-c", COMMUNITY], SYS_NAME)
        assert v1.returncode != 0 and "clock-9" not in v1.stdout
        options = ["-v2c", "-c", COMMUNITY, "--clientaddr=127.0.0.9"]
        outside = await asyncio.to_thread(client.get, options, SYS_NAME)
        assert outside.returncode != 0 and "clock-9" not in outside.stdout
    finally:
        await service.stop()
    assert service.status()["pid"] is None


async def test_a_removed_user_does_not_live_on_in_the_persistent_file(tmp_path: Path) -> None:
    require("snmpd")
    port = free_port()
    events = EventBus(SteppedClock(0))
    old, new = SnmpUser("old-user"), SnmpUser("new-user")
    users = [{"name": u.name, "auth_passphrase": u.auth_passphrase,
              "priv_passphrase": u.priv_passphrase} for u in (old, new)]  # fmt: skip
    client = NetSnmp(tmp_path / "client", port)
    for listed in (users, users[1:]):
        service = SnmpService(section(port, users=listed), "c", tmp_path / "snmp", events)
        await service.start()
        try:
            answers = [
                (await asyncio.to_thread(client.get, u.v3(), SYS_NAME)).returncode == 0
                for u in (old, new)
            ]
        finally:
            await service.stop()
        assert answers == [len(listed) == 2, True]
    persistent = (tmp_path / "snmp" / "persist" / "snmpd.conf").read_text()
    assert "engineBoots 2" in persistent and '"old-user"' not in persistent


async def test_a_port_in_use_fails_the_start_with_snmpd_s_words(tmp_path: Path) -> None:
    import socket

    from firmware.base.service import StartError

    require("snmpd")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        service = SnmpService(section(port), "c", tmp_path / "snmp", EventBus(SteppedClock(0)))
        with pytest.raises(StartError, match=f"127.0.0.1:{port}"):
            await service.start()
        await service.stop()


async def test_a_missing_program_is_named(tmp_path: Path) -> None:
    from firmware.base.service import StartError

    service = SnmpService(section(free_port()), "c", tmp_path / "snmp",
                          EventBus(SteppedClock(0)), program="no-such-snmpd")  # fmt: skip
    with pytest.raises(StartError, match="no-such-snmpd is not installed"):
        await service.start()
