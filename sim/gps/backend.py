"""The sim backend: the simulated receiver's pty read by the real serial NMEA driver."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hal.clock import Clock
from hal.gps.serial_nmea import SerialNmeaReceiver
from hal.gps.types import GpsScenario, GpsSink, PpsEdge
from sim.gps.device import SimGpsDevice
from sim.gps.receiver import ReceiverSettings, SimReceiver
from sim.world import SimWorld


class SimPps:
    """PPS edges straight from the simulated device, as the kernel would timestamp them."""

    def __init__(self, device: SimGpsDevice) -> None:
        self.device = device
        self.callback: Callable[[PpsEdge], None] | None = None
        device.on_pps(self._edge)

    def _edge(self, edge: PpsEdge) -> None:
        if self.callback is not None:
            self.callback(edge)

    async def start(self, on_edge: Callable[[PpsEdge], None]) -> None:
        self.callback = on_edge

    async def stop(self) -> None:
        self.callback = None


class SimGpsReceiver:
    name = "gps"

    def __init__(
        self, settings: ReceiverSettings, clock: Clock, link: str = "",
        world: SimWorld | None = None,
    ) -> None:  # fmt: skip
        self.world = world if world is not None else SimWorld(clock.now_ns())
        receiver = SimReceiver(settings, self.world.true_ns(clock.now_ns()))
        self.device = SimGpsDevice(receiver, clock, link, self.world)
        self.clock = clock
        self.serial: SerialNmeaReceiver | None = None

    async def start(self, sink: GpsSink) -> None:
        await self.device.start()
        self.serial = SerialNmeaReceiver(self.device.path, 9600, self.clock, SimPps(self.device))
        await self.serial.start(sink)

    def inject(self, scenario: GpsScenario) -> None:
        self.device.inject(scenario)

    async def wait(self) -> None:
        """Ends when either the simulated device or the serial driver reading it ends."""
        assert self.serial is not None
        waits = [
            asyncio.ensure_future(self.device.wait()),
            asyncio.ensure_future(self.serial.wait()),
        ]
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in waits:
                task.cancel()

    async def stop(self) -> None:
        if self.serial is not None:
            await self.serial.stop()
        await self.device.stop()

    def truth(self, host_ns: int, served_ns: int) -> dict[str, object]:
        """How far served time (`served_ns`, read at the host time `host_ns`) is from the
        UTC a perfect server would serve at that instant of the simulated world."""
        true_ns = self.world.true_ns(host_ns)
        utc_ns = self.device.receiver.utc_ns(true_ns)
        return {
            "true_error_ns": served_ns - utc_ns,
            "true_utc_ns": utc_ns,
            "offset_ns": true_ns - host_ns,
            "frequency_ppm": self.world.frequency_ppm,
        }

    def status(self) -> dict[str, object]:
        serial = self.serial.status() if self.serial else {}
        return {**serial, "backend": "sim", "device": self.device.status()}
