"""The simulated receiver on a pseudo-terminal, in real time: NMEA out, PPS edges out."""

from __future__ import annotations

import array
import asyncio
import contextlib
import fcntl
import os
import termios
import tty
from collections.abc import Callable
from pathlib import Path

from hal.clock import Clock
from hal.device_task import DeviceTask
from hal.gps.types import GpsScenario, PpsEdge
from sim.gps.receiver import SECOND, SimReceiver
from sim.links import place_link, remove_link
from sim.world import SimWorld

# Real receivers finish the sentences of a second some tens of milliseconds after its PPS.
NMEA_DELAY_NS = 60_000_000


class Pty:
    """One pseudo-terminal in raw mode, written from the master side. Two readers of one
    pty would each get part of the stream, so every reader gets its own."""

    def __init__(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        os.set_blocking(master, False)
        self.master, self.slave = master, slave
        """The slave stays open here too, so that bytes nobody read can be found and flushed."""
        self.written = 0
        self.dropped = 0
        self.unread = 0

    def write(self, data: bytes, flush_unread: bool) -> None:
        """With `flush_unread`, whatever the last write left unread is thrown away first, as
        a serial line loses the bytes of a second nobody listened to: a reader that opens
        the pty later starts with the current second, not with stale ones."""
        if flush_unread and _waiting(self.slave):
            termios.tcflush(self.slave, termios.TCIFLUSH)
            self.unread += 1
        try:
            os.write(self.master, data)
            self.written += 1
        except OSError:
            # Nobody reads the pty and its buffer is full: a real receiver's bytes are lost too.
            self.dropped += 1

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def _waiting(fd: int) -> int:
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


class SimGpsDevice:
    """Writes each second's NMEA into a pty whose slave end the appliance's serial driver
    reads, and the same bytes into a second pty that the link points to, for gpsd, a
    terminal or any number of outside readers, which so never take bytes from the
    appliance's own stream.

    The receiver marks the seconds of the world's true UTC; `clock` is the host clock that
    stamps its PPS edges. Without a world, true UTC is the host clock.
    """

    def __init__(
        self, receiver: SimReceiver, clock: Clock, link: str = "", world: SimWorld | None = None,
        own_directory: bool = True,
    ) -> None:  # fmt: skip
        self.receiver = receiver
        self.clock = clock
        self.world = world if world is not None else SimWorld(clock.now_ns())
        self.link = Path(link) if link else None
        self.own_directory = own_directory
        self.own: Pty | None = None
        self.tap: Pty | None = None
        self.edges: list[Callable[[PpsEdge], None]] = []
        self.runner = DeviceTask("sim gps")
        self.sequence = 0

    @property
    def path(self) -> str:
        """The pty the appliance's own driver reads."""
        return self.own.path if self.own is not None else ""

    @property
    def link_target(self) -> str:
        """The pty the link points to."""
        return self.tap.path if self.tap is not None else ""

    async def start(self) -> None:
        self.own = Pty()
        if self.link is not None:
            self.tap = Pty()
            try:
                place_link(self.link, self.tap.path, self.own_directory)
            except BaseException:
                self._close()
                raise
        self.runner.start(self._run())

    def on_pps(self, callback: Callable[[PpsEdge], None]) -> None:
        self.edges.append(callback)

    def inject(self, scenario: GpsScenario) -> None:
        self.receiver.inject(scenario, self.true_now())

    def true_now(self) -> int:
        return self.world.true_ns(self.clock.now_ns())

    async def _run(self) -> None:
        second = 0
        while True:
            now = self.true_now()
            # Never the same second twice, should the host clock wake us a little early.
            second = max(now - now % SECOND + SECOND, second + SECOND)
            wake = self.world.host_ns(second + NMEA_DELAY_NS)
            await asyncio.sleep((wake - self.clock.now_ns()) / SECOND)
            self.true_now()  # moves the world's walk past this second's edge
            output = self.receiver.second(second)
            if output.pps_ns is not None:
                self.sequence += 1
                # The host stamps the edge when true time reaches it.
                edge = PpsEdge(self.world.host_ns(output.pps_ns), self.sequence)
                for callback in self.edges:
                    callback(edge)
            self._write("".join(output.lines).encode("ascii"))

    def _write(self, data: bytes) -> None:
        if self.own is not None:
            self.own.write(data, flush_unread=False)
        if self.tap is not None:
            self.tap.write(data, flush_unread=True)

    async def wait(self) -> None:
        await self.runner.wait()

    async def stop(self) -> None:
        await self.runner.stop()
        if self.link is not None and self.tap is not None:
            remove_link(self.link, self.tap.path)
        self._close()

    def _close(self) -> None:
        for pty in (self.own, self.tap):
            if pty is not None:
                pty.close()
        self.own = self.tap = None

    def status(self) -> dict[str, object]:
        own, tap = self.own, self.tap
        return {
            "pty": self.path,
            "link": str(self.link) if self.link else "",
            "link_pty": self.link_target,
            "scenario": self.receiver.scenario,
            "seconds_written": own.written if own else 0,
            "seconds_dropped": own.dropped if own else 0,
            "link_seconds_lost": tap.unread + tap.dropped if tap else 0,
            "pps_edges": self.sequence,
        }
