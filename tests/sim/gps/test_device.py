"""The link is a copy of the receiver's stream: outside readers never take the appliance's
bytes, and one that opens the link late starts with the current second."""

import asyncio
import os
from pathlib import Path

from hal.clock import HostClock
from sim.gps.device import SimGpsDevice
from sim.gps.receiver import ReceiverSettings, SimReceiver


def read_all(fd: int) -> bytes:
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


async def read_for(seconds: float, *fds: int) -> list[bytes]:
    """What each reader gets, reading as a serial driver does: as soon as bytes arrive."""
    data = [b""] * len(fds)
    for _ in range(int(seconds * 10)):
        await asyncio.sleep(0.1)
        data = [got + read_all(fd) for got, fd in zip(data, fds, strict=True)]
    return data


async def test_the_link_is_its_own_pty_fed_the_same_bytes(tmp_path: Path) -> None:
    clock = HostClock()
    link = tmp_path / "links" / "gps0"
    device = SimGpsDevice(SimReceiver(ReceiverSettings(), clock.now_ns()), clock, str(link))
    await device.start()
    try:
        assert os.readlink(link) == device.link_target != device.path
        own = os.open(device.path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        outside = os.open(link, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            mine, theirs = await read_for(2.3, own, outside)
            # Both readers get every second whole: neither takes bytes from the other.
            assert mine == theirs and mine.count(b"$GPRMC") >= 2
            (mine,) = await read_for(3.2, own)  # the outside reader stops for three seconds
            theirs = read_all(outside)
            assert mine.count(b"$GPRMC") >= 3
            assert theirs.count(b"$GPRMC") == 1 and mine.endswith(theirs)  # only the latest
        finally:
            os.close(own)
            os.close(outside)
        assert device.status()["link_seconds_lost"] >= 2
        assert device.status()["seconds_dropped"] == 0
    finally:
        await device.stop()
    assert not os.path.lexists(link)
