"""The serial backend: NMEA from any pyserial URL, PPS from a PPS source when there is one."""

from __future__ import annotations

import asyncio
import threading

import serial

from hal.clock import Clock
from hal.device_task import DeviceTask
from hal.errors import DeviceError
from hal.gps.nmea import EpochAssembler
from hal.gps.pps import PpsSource
from hal.gps.types import GpsSink, PpsEdge

MAX_LINE_BYTES = 512


class SerialNmeaReceiver:
    """Reads lines in a thread (pyserial is blocking) and hands them to the event loop."""

    name = "gps"

    def __init__(self, url: str, baud: int, clock: Clock, pps: PpsSource | None = None) -> None:
        self.url = url
        self.baud = baud
        self.clock = clock
        self.pps = pps
        self.assembler = EpochAssembler()
        self.port: serial.SerialBase | None = None
        self.stopping = threading.Event()
        self.reader = DeviceTask("gps serial reader")
        self.sink: GpsSink | None = None
        self.pps_edges = 0
        self.overlong = 0

    async def start(self, sink: GpsSink) -> None:
        self.sink = sink
        try:
            self.port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=0.2)
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open GPS receiver at {self.url}: {exc}") from exc
        self.stopping.clear()
        loop = asyncio.get_running_loop()
        self.reader.start(asyncio.to_thread(self._read, loop))
        if self.pps is not None:
            await self.pps.start(self._edge)

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.port is not None
        pending = b""
        while not self.stopping.is_set():
            chunk = self.port.read(self.port.in_waiting or 1)
            if not chunk:
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_LINE_BYTES:
                self.overlong += 1
                pending = b""
            for line in lines:
                text = line.decode("ascii", errors="replace")
                loop.call_soon_threadsafe(self._line, text, self.clock.now_ns())

    def _line(self, text: str, received_ns: int) -> None:
        sample = self.assembler.feed(text, received_ns)
        if sample is not None and self.sink is not None:
            self.sink.time_sample(sample)

    def _edge(self, edge: PpsEdge) -> None:
        self.pps_edges += 1
        if self.sink is not None:
            self.sink.pps_edge(edge)

    async def wait(self) -> None:
        await self.reader.wait()

    async def stop(self) -> None:
        self.stopping.set()
        if self.pps is not None:
            await self.pps.stop()
        # The reader thread notices `stopping` within its read timeout; let it finish first.
        await self.reader.stop(grace=1.0)
        if self.port is not None:
            self.port.close()
            self.port = None

    def status(self) -> dict[str, object]:
        return {
            "backend": "serial",
            "url": self.url,
            "pps_edges": self.pps_edges,
            "overlong_lines": self.overlong,
            **self.assembler.counters.as_dict(),
        }
