"""The composition root: which services exist, in which order they start, and how a config
becomes running services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from firmware.admin.commands import Interpreter, StatusSource
from firmware.admin.console import ConsolePort, ConsoleService
from firmware.admin.login import LoginSession
from firmware.admin.users import UserStore
from firmware.config import SERVICE_NAMES, Config, ConfigError
from firmware.config.audit import AuditLog
from firmware.config.schema import ConsoleSection, Gps
from firmware.config.store import ConfigStore
from firmware.control import ControlService
from firmware.events import EventBus, Severity
from firmware.identity import Identity
from firmware.panel.app import PanelApp
from firmware.panel.lock import KeypadLock
from firmware.panel.service import PanelService
from firmware.panel.settings import panel_settings
from firmware.service import Service
from firmware.supervisor import Backoff, Supervisor
from firmware.timing.clock import Clock, DisciplinedClock
from firmware.timing.discipline import Discipline
from firmware.timing.gps_monitor import GpsMonitor
from firmware.timing.service import TimingService
from hal.console.port import SerialConsolePort
from hal.gps.gpsd_client import GpsdReceiver
from hal.gps.pps import LinuxPps
from hal.gps.serial_nmea import SerialNmeaReceiver
from hal.gps.types import GpsReceiver
from hal.network import local_addresses
from services.ntp.service import NtpService
from services.simple_time.formats import daytime, rfc868
from services.simple_time.server import SimpleTimeServer
from services.syslog.forwarder import SyslogForwarder
from sim.console import PtyConsolePort
from sim.gps.backend import SimGpsReceiver
from sim.panel import SimDisplay, SimKeypad


@dataclass(frozen=True)
class Context:
    """What services are built from besides their own config."""

    data_dir: Path
    identity: Identity
    events: EventBus
    clock: Clock
    """The host's realtime clock (the simulated receiver's truth)."""
    gps: GpsMonitor
    discipline: Discipline
    served: DisciplinedClock
    """The clock services stamp replies with."""
    status: StatusSource = dict
    """What `status` shows on every console: set by the Appliance to its supervisor's."""


class GpsService:
    """Runs the configured receiver under the supervisor, reporting to the GPS monitor."""

    name = "gps"

    def __init__(self, receiver: GpsReceiver, monitor: GpsMonitor) -> None:
        self.receiver = receiver
        self.monitor = monitor

    async def start(self) -> None:
        await self.receiver.start(self.monitor)

    async def stop(self) -> None:
        await self.receiver.stop()

    async def wait(self) -> None:
        await self.receiver.wait()

    def status(self) -> dict[str, object]:
        return {**self.receiver.status(), **self.monitor.status()}


GPS_BACKENDS: dict[str, Callable[[Gps, Clock], GpsReceiver]] = {
    "sim": lambda gps, clock: SimGpsReceiver(gps.sim, clock),
    "serial": lambda gps, clock: SerialNmeaReceiver(
        gps.serial.url, gps.serial.baud, clock, LinuxPps(gps.serial.pps) if gps.serial.pps else None
    ),
    "gpsd": lambda gps, clock: GpsdReceiver(gps.gpsd.host, gps.gpsd.port, gps.gpsd.device, clock),
}


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    enabled: Callable[[Config], bool]
    settings: Callable[[Config], object]
    """The part of the config the service depends on: a change there restarts it."""
    build: Callable[[Config, Context], Service]


def _control(config: Config, context: Context) -> Service:
    return ControlService(context.data_dir / "control.sock", context.status)


def _ntp(config: Config, context: Context) -> Service:
    section = config.services.ntp
    keys = Path(section.keys_file) if section.keys_file else context.identity.ntp_keys

    clock = context.clock
    return NtpService(section, keys, context.discipline, clock.now_ns, context.served.to_served)


def _daytime(config: Config, context: Context) -> Service:
    return SimpleTimeServer("daytime", config.services.daytime, context.served, daytime)


def _time(config: Config, context: Context) -> Service:
    return SimpleTimeServer("time", config.services.time, context.served, rfc868)


def _timing(config: Config, context: Context) -> Service:
    return TimingService(config.timing, context.discipline, context.clock, context.events)


def _gps(config: Config, context: Context) -> Service:
    receiver = GPS_BACKENDS[config.gps.backend](config.gps, context.clock)
    return GpsService(receiver, context.gps)


CONSOLE_PORTS: dict[str, Callable[[ConsoleSection], ConsolePort]] = {
    "sim": lambda section: PtyConsolePort(section.link),
    "serial": lambda section: SerialConsolePort(section.url, section.baud),
}


def _console(config: Config, context: Context) -> Service:
    section = config.services.console
    hostname = config.device.name or context.identity.hostname
    users = UserStore(context.identity.users)
    interpreter = Interpreter(context.status, hostname, _keypad_lock(config, context))

    def session() -> LoginSession:
        return LoginSession(users, context.events, interpreter, "console")

    return ConsoleService(CONSOLE_PORTS[section.backend](section), session)


def _keypad_lock(config: Config, context: Context) -> KeypadLock:
    panel = config.panel
    path = context.data_dir / "keypad.json"
    return KeypadLock(path, context.events, panel.pin_attempts, panel.lockout_seconds)


def _panel(config: Config, context: Context) -> Service:
    rows, columns = (int(n) for n in config.panel.size.split("x"))
    keypad = SimKeypad()
    app = PanelApp(
        _keypad_lock(config, context),
        context.status,
        lambda: panel_settings(config, local_addresses()),
        local_addresses,
        rows,
    )
    socket = context.data_dir / "panel.sock"
    display = SimDisplay(rows, columns)
    return PanelService(app, display, keypad, context.served, socket, keypad.inject)


def _syslog(config: Config, context: Context) -> Service:
    return SyslogForwarder(
        config.syslog, config.device.name or context.identity.hostname, context.events
    )


# Start order; services stop in the reverse order. Syslog comes first so that the events of
# everything after it reach the collectors.
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("control", lambda c: True, lambda c: None, _control),
    ServiceSpec(
        "syslog", lambda c: bool(c.syslog.targets), lambda c: (c.syslog, c.device), _syslog
    ),
    ServiceSpec("timing", lambda c: True, lambda c: c.timing, _timing),
    ServiceSpec("gps", lambda c: True, lambda c: c.gps, _gps),
    ServiceSpec("ntp", lambda c: c.services.ntp.enabled, lambda c: c.services.ntp, _ntp),
    ServiceSpec(
        "daytime", lambda c: c.services.daytime.enabled, lambda c: c.services.daytime, _daytime
    ),
    ServiceSpec("time", lambda c: c.services.time.enabled, lambda c: c.services.time, _time),
    ServiceSpec("panel", lambda c: True, lambda c: c.panel, _panel),
    ServiceSpec(
        "console",
        lambda c: c.services.console.enabled,
        lambda c: (c.services.console, c.device),
        _console,
    ),
)

AVAILABLE = frozenset(spec.name for spec in SERVICES) & frozenset(SERVICE_NAMES)


class Appliance:
    """The running appliance: a config store, the event bus and the supervised services."""

    def __init__(
        self,
        store: ConfigStore,
        context: Context,
        backoff: Backoff | None = None,
        specs: tuple[ServiceSpec, ...] = SERVICES,
    ) -> None:
        self.store = store
        self.specs = specs
        self.supervisor = Supervisor(context.events, backoff)
        self.context = replace(context, status=self.supervisor.status)
        self.config = store.config

    async def start(self) -> None:
        for spec in self.specs:
            if spec.enabled(self.config):
                await self.supervisor.start(spec.build(self.config, self.context))

    async def stop(self) -> None:
        for spec in reversed(self.specs):
            await self.supervisor.stop(spec.name)

    async def reload(self) -> list[str]:
        """Re-read the config; restart only the services whose settings changed.

        An invalid file is refused with an event and the running config stays.
        """
        events = self.context.events
        old = self.config
        try:
            new = self.store.reload(who="config file", source="SIGHUP")
        except ConfigError as exc:
            for problem in exc.problems:
                events.emit("config.invalid", Severity.ERROR, problem)
            events.emit("config.refused", Severity.ERROR, "new config refused; running config kept")
            return []
        changed = [
            spec
            for spec in self.specs
            if spec.enabled(old) != spec.enabled(new) or spec.settings(old) != spec.settings(new)
        ]
        for spec in reversed(changed):
            await self.supervisor.stop(spec.name)
        self.config = new
        for spec in changed:
            if spec.enabled(new):
                await self.supervisor.start(spec.build(new, self.context))
        names = [spec.name for spec in changed]
        events.emit(
            "config.reloaded",
            Severity.NOTICE,
            f"config reloaded; restarted: {', '.join(names) or 'none'}",
        )
        return names

    def listening(self) -> list[str]:
        """Where each service listens, for the boot banner."""
        lines = []
        for name in ("ntp", "daytime", "time", "ssh", "telnet", "snmp", "https", "ptp"):
            section = getattr(self.config.services, name)
            if not section.enabled:
                state = "not available in this build" if name not in AVAILABLE else "disabled"
                lines.append(f"  {name:<8} {state}")
                continue
            places = ", ".join(_join(address, section.port) for address in section.bind)
            lines.append(f"  {name:<8} {places}")
        targets = ", ".join(self.config.syslog.targets) or "none configured"
        lines.append(f"  {'syslog':<8} forwarding to {targets}")
        running = self.supervisor.status()
        gps = running.get("gps", {})
        where = gps.get("url") or f"{self.config.gps.gpsd.host}:{self.config.gps.gpsd.port}"
        link = f" (link {self.config.gps.sim.link})" if self.config.gps.sim.link else ""
        lines.append(f"  {'gps':<8} {self.config.gps.backend} receiver at {where}{link}")
        console = running.get("console", {}).get("port", "disabled")
        lines.append(f"  {'console':<8} {console}")
        return lines


def _join(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def make_context(data_dir: Path, identity: Identity, events: EventBus, clock: Clock,
                 config: Config) -> Context:  # fmt: skip
    """The timing chain: receiver reports -> GPS monitor -> discipline -> served clock."""
    monitor = GpsMonitor(events)
    discipline = Discipline(config.timing, events)
    monitor.listeners.append(discipline)
    served = DisciplinedClock(clock, discipline)
    return Context(data_dir, identity, events, clock, monitor, discipline, served)


def make_store(data_dir: Path, config_path: Path, clock: Clock) -> ConfigStore:
    return ConfigStore(config_path, AVAILABLE, AuditLog(data_dir / "audit.log"), clock)
