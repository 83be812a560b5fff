"""PPS edges from the Linux PPS API (/dev/ppsN), timestamped by the kernel at the interrupt."""

from __future__ import annotations

import asyncio
import fcntl
import os
import struct
import threading
from collections.abc import Callable
from typing import Protocol

from hal.gps.types import PpsEdge

# From <linux/pps.h>: struct pps_fdata { struct pps_kinfo info; struct pps_ktime timeout; }
# pps_kinfo: assert_sequence u32, clear_sequence u32, assert_tu pps_ktime,
# clear_tu pps_ktime, current_mode int; pps_ktime: sec s64, nsec s32, flags u32.
_KTIME = "qiI"
_FDATA = f"=II{_KTIME}{_KTIME}i4x{_KTIME}"
_FDATA_SIZE = struct.calcsize(_FDATA)
PPS_FETCH = (3 << 30) | (_FDATA_SIZE << 16) | (ord("p") << 8) | 0xA4  # _IOWR('p', 0xa4, ...)


class PpsSource(Protocol):
    async def start(self, on_edge: Callable[[PpsEdge], None]) -> None: ...

    async def stop(self) -> None: ...


def pack_fetch(timeout_s: float) -> bytes:
    seconds = int(timeout_s)
    nanoseconds = int((timeout_s - seconds) * 1e9)
    return struct.pack(_FDATA, 0, 0, 0, 0, 0, 0, 0, 0, 0, seconds, nanoseconds, 0)


def unpack_fetch(data: bytes) -> PpsEdge:
    fields = struct.unpack(_FDATA, data)
    sequence, seconds, nanoseconds = fields[0], fields[2], fields[3]
    return PpsEdge(seconds * 1_000_000_000 + nanoseconds, sequence)


class LinuxPps:
    """Blocks in PPS_FETCH in a thread; each new assert edge goes to the event loop."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    async def start(self, on_edge: Callable[[PpsEdge], None]) -> None:
        fd = os.open(self.device, os.O_RDWR)
        loop = asyncio.get_running_loop()
        self.stopping.clear()
        self.thread = threading.Thread(
            target=self._fetch, args=(fd, loop, on_edge), name="pps", daemon=True
        )
        self.thread.start()

    def _fetch(
        self, fd: int, loop: asyncio.AbstractEventLoop, on_edge: Callable[[PpsEdge], None]
    ) -> None:
        last = -1
        try:
            while not self.stopping.is_set():
                buffer = bytearray(pack_fetch(1.0))
                try:
                    fcntl.ioctl(fd, PPS_FETCH, buffer)
                except TimeoutError:
                    continue
                edge = unpack_fetch(bytes(buffer))
                if edge.sequence != last:
                    last = edge.sequence
                    loop.call_soon_threadsafe(on_edge, edge)
        finally:
            os.close(fd)

    async def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            await asyncio.to_thread(self.thread.join, 2.0)
            self.thread = None
