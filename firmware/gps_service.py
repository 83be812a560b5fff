"""The GPS receiver as a supervised service, reporting to the GPS monitor."""

from __future__ import annotations

from firmware.base.service import StartError
from firmware.timing.gps_monitor import GpsMonitor
from hal.errors import DeviceError
from hal.gps.types import GpsReceiver


class GpsService:
    """Runs the configured receiver under the supervisor, reporting to the GPS monitor."""

    name = "gps"

    def __init__(self, receiver: GpsReceiver, monitor: GpsMonitor) -> None:
        self.receiver = receiver
        self.monitor = monitor

    async def start(self) -> None:
        # hal knows nothing of services: its device errors become the supervisor's here.
        try:
            await self.receiver.start(self.monitor)
        except DeviceError as exc:
            raise StartError(str(exc)) from exc

    async def stop(self) -> None:
        await self.receiver.stop()

    async def wait(self) -> None:
        await self.receiver.wait()

    def status(self) -> dict[str, object]:
        return {**self.receiver.status(), **self.monitor.status()}
