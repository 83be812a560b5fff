"""The serial driver reads a receiver through pyserial URLs: the sim's pty and socket://."""

import asyncio
import datetime

from hal.clock import HostClock
from hal.gps.serial_nmea import SerialNmeaReceiver
from sim.gps.backend import SimGpsReceiver
from sim.gps.receiver import SECOND, ReceiverSettings, SimReceiver
from tests.hal.gps.recorder import Recorder


async def wait_until(check, seconds: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_sim_backend_pty_read_by_serial_driver() -> None:
    clock = HostClock()
    receiver = SimGpsReceiver(ReceiverSettings(pps_jitter_ns=0), clock)
    recorder = Recorder()
    await receiver.start(recorder)
    try:
        await wait_until(lambda: len(recorder.samples) >= 3 and len(recorder.edges) >= 3)
    finally:
        await receiver.stop()
    for sample in recorder.samples:
        assert sample.valid and sample.utc_ns is not None
        # The NMEA of a second arrives shortly after that second began.
        assert 0 < sample.received_ns - sample.utc_ns < SECOND
    assert all(edge.host_ns % SECOND == 0 for edge in recorder.edges)
    status = receiver.status()
    assert status["backend"] == "sim" and status["bad_checksum"] == 0


async def test_socket_url_as_for_a_networked_serial_server() -> None:
    sim = SimReceiver(ReceiverSettings(), HostClock().now_ns(), seed=3)
    start = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).timestamp()) * SECOND

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for n in range(4):
            writer.write("".join(sim.second(start + n * SECOND).lines).encode())
            writer.write(b"$GPRMC,garbage*00\r\n")
        await writer.drain()
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver = SerialNmeaReceiver(f"socket://127.0.0.1:{port}", 9600, HostClock())
    recorder = Recorder()
    await receiver.start(recorder)
    try:
        await wait_until(lambda: len(recorder.samples) >= 3)
    finally:
        await receiver.stop()
        server.close()
    assert [s.utc_ns for s in recorder.samples[:3]] == [start + n * SECOND for n in range(3)]
    assert receiver.status()["bad_checksum"] >= 3


async def test_unopenable_port_names_it() -> None:
    receiver = SerialNmeaReceiver("/dev/does-not-exist", 9600, HostClock())
    try:
        await receiver.start(Recorder())
    except Exception as exc:
        assert "cannot open GPS receiver at /dev/does-not-exist" in str(exc)
    else:
        raise AssertionError("opened a missing port")
