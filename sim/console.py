"""The simulated RS-232 console: a pty whose other end a terminal program (picocom) opens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from pathlib import Path

from sim.links import place_link, remove_link


class PtyConsolePort:
    def __init__(self, link: str = "", own_directory: bool = True) -> None:
        """`link`: a path to make a symlink to the pty (see sim/links.py), or empty."""
        self.link = Path(link) if link else None
        self.own_directory = own_directory
        self.master = -1
        self.path = ""
        self.description = "pty"
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=64)
        self.keeper = -1

    async def open(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        # Keep a slave descriptor open ourselves, so that a terminal program closing its end
        # does not leave the master reading EIO for good.
        self.keeper = slave
        os.set_blocking(master, False)
        self.master = master
        if self.link is not None:
            try:
                place_link(self.link, self.path, self.own_directory)
            except BaseException:
                await self.close()
                raise
        where = f"{self.link} -> {self.path}" if self.link else self.path
        self.description = f"pty {where} (attach: picocom -b 9600 {self.link or self.path})"
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            chunk = os.read(self.master, 4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not self.queue.full():
            self.queue.put_nowait(chunk)

    async def read(self) -> bytes:
        return await self.queue.get()

    def write(self, data: bytes) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self.master, data)

    async def close(self) -> None:
        if self.master >= 0:
            asyncio.get_running_loop().remove_reader(self.master)
            for fd in (self.master, self.keeper):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.master = self.keeper = -1
        if self.link is not None and self.path:
            remove_link(self.link, self.path)
