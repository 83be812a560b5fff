"""The devices the config names: the GPS receiver behind its backend (simulated, NMEA on a
serial line, or gpsd), the simulated world that receiver lives in, the console port, and
where simulated devices' pty links go."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from firmware.admin.console import ConsolePort
from firmware.base.config import Config
from firmware.base.config.fields import utc_instant_ns
from firmware.base.config.schema import ConsoleSection, SimGps
from hal.clock import Clock
from hal.console.port import SerialConsolePort
from hal.gps.gpsd_client import GpsdReceiver
from hal.gps.pps import LinuxPps
from hal.gps.serial_nmea import SerialNmeaReceiver
from hal.gps.types import GpsReceiver
from hal.oscillator import PRESETS
from sim.console import PtyConsolePort
from sim.gps.backend import SimGpsReceiver
from sim.gps.receiver import ReceiverSettings
from sim.world import SimWorld


def sim_world(config: Config, host_ns: int) -> SimWorld:
    """The simulated world's true UTC from [gps.sim], wandering as [timing] oscillator."""
    sim = config.gps.sim
    wander = PRESETS[config.timing.oscillator].wander_ppm_per_sqrt_s if sim.clock_wander else 0.0
    return SimWorld(host_ns, sim.clock_offset_ns, sim.clock_ppm, wander, sim.seed)


def receiver_settings(section: SimGps) -> ReceiverSettings:
    """[gps.sim] as the plain values the simulated receiver takes."""
    names = set(ReceiverSettings.__dataclass_fields__) - {"leap_at_ns"}
    values = {name: getattr(section, name) for name in names}
    return ReceiverSettings(**values, leap_at_ns=utc_instant_ns(section.leap_at))


def link_path(config: Config, data_dir: Path, name: str) -> str:
    """Where a simulated device's pty link goes: the plain name `name` inside [device]
    link_dir, or links/ in the data directory; empty for no link (sim/links.py makes it)."""
    if not name:
        return ""
    directory = Path(config.device.link_dir) if config.device.link_dir else data_dir / "links"
    return str(directory / name)


GPS_BACKENDS: dict[str, Callable[[Config, Clock, Path], GpsReceiver]] = {
    "sim": lambda c, clock, data_dir: SimGpsReceiver(
        receiver_settings(c.gps.sim),
        clock,
        link_path(c, data_dir, c.gps.sim.link),
        sim_world(c, clock.now_ns()),
    ),  # fmt: skip
    "serial": lambda c, clock, data_dir: SerialNmeaReceiver(
        c.gps.serial.url,
        c.gps.serial.baud,
        clock,
        LinuxPps(c.gps.serial.pps) if c.gps.serial.pps else None,
    ),
    "gpsd": lambda c, clock, data_dir: GpsdReceiver(
        c.gps.gpsd.host, c.gps.gpsd.port, c.gps.gpsd.device, clock
    ),
}


CONSOLE_PORTS: dict[str, Callable[[ConsoleSection, str], ConsolePort]] = {
    "sim": lambda section, link: PtyConsolePort(link),
    "serial": lambda section, link: SerialConsolePort(section.url, section.baud),
}
