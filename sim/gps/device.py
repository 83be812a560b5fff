"""The simulated receiver on a pseudo-terminal, in real time: NMEA out, PPS edges out."""

from __future__ import annotations

import asyncio
import contextlib
import os
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


class SimGpsDevice:
    """Writes each second's NMEA into a pty whose slave end any serial reader can open.

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
        self.path = ""
        self.master = -1
        self.edges: list[Callable[[PpsEdge], None]] = []
        self.runner = DeviceTask("sim gps")
        self.sequence = 0
        self.written = 0
        self.dropped = 0

    async def start(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        if self.link is not None:
            try:
                place_link(self.link, self.path, self.own_directory)
            except BaseException:
                os.close(master)
                self.master = -1
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
        try:
            os.write(self.master, data)
            self.written += 1
        except BlockingIOError:
            # Nobody reads the pty and its buffer is full: a real receiver's bytes are lost too.
            self.dropped += 1
        except OSError:
            self.dropped += 1

    async def wait(self) -> None:
        await self.runner.wait()

    async def stop(self) -> None:
        await self.runner.stop()
        if self.link is not None and self.path:
            remove_link(self.link, self.path)
        if self.master >= 0:
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = -1

    def status(self) -> dict[str, object]:
        return {
            "pty": self.path,
            "link": str(self.link) if self.link else "",
            "scenario": self.receiver.scenario,
            "seconds_written": self.written,
            "seconds_dropped": self.dropped,
            "pps_edges": self.sequence,
        }
