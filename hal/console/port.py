"""A real console port: any pyserial URL (/dev/ttyS0, rfc2217://, socket://)."""

from __future__ import annotations

import asyncio
import threading

import serial

from hal.errors import DeviceError


class SerialConsolePort:
    """pyserial blocks, so a thread reads and hands chunks to the event loop's queue."""

    def __init__(self, url: str, baud: int) -> None:
        self.url = url
        self.baud = baud
        self.description = f"serial port {url} at {baud} bit/s"
        self.port: serial.SerialBase | None = None
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=64)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    async def open(self) -> None:
        try:
            self.port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=0.2)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open console at {self.url}: {exc}") from exc
        loop = asyncio.get_running_loop()
        self.stopping.clear()
        self.thread = threading.Thread(target=self._read, args=(loop,), daemon=True)
        self.thread.start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.port is not None
        while not self.stopping.is_set():
            try:
                chunk = self.port.read(self.port.in_waiting or 1)
            except (serial.SerialException, OSError):
                chunk = b""
                self.stopping.set()
            if chunk or self.stopping.is_set():
                asyncio.run_coroutine_threadsafe(self.queue.put(chunk), loop).result()

    async def read(self) -> bytes:
        return await self.queue.get()

    def write(self, data: bytes) -> None:
        if self.port is not None:
            self.port.write(data)

    async def close(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            await asyncio.to_thread(self.thread.join, 1.0)
        if self.port is not None:
            self.port.close()
            self.port = None
