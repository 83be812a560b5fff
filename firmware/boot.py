"""The composition root: which services exist, in which order they start, and how a config
becomes running services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from firmware import __version__
from firmware.admin.authenticate import Authenticator
from firmware.admin.commands import make_interpreter
from firmware.admin.console import ConsoleService
from firmware.admin.controls import Controls, NtpKeyControls
from firmware.admin.guard import LoginGuard
from firmware.admin.login import LoginSession, Recovery
from firmware.admin.shell import CONSOLE, Origin
from firmware.admin.users import UserStore
from firmware.appliance import Appliance, ServiceSpec
from firmware.base.config import SERVICE_NAMES, Config
from firmware.base.config.audit import AuditLog
from firmware.base.config.store import ConfigStore, redacted
from firmware.base.events import EventBus, EventLog
from firmware.base.service import Service
from firmware.config_files import check_named_files
from firmware.context import Context
from firmware.control import ControlService
from firmware.devices import CONSOLE_PORTS, GPS_BACKENDS, link_path
from firmware.gps_service import GpsService
from firmware.identity import Identity
from firmware.panel.app import PanelApp
from firmware.panel.lock import KeypadLock
from firmware.panel.service import PanelService
from firmware.panel.settings import panel_settings
from firmware.slot_loader import running_slot
from firmware.timing.clock import DisciplinedClock
from firmware.timing.discipline import Discipline
from firmware.timing.gps_monitor import GpsMonitor
from firmware.timing.service import TimingService
from firmware.upgrade.service import FirmwareService
from firmware.upgrade.slots import UPLOAD_DIR
from hal.clock import Clock
from hal.network import local_addresses
from hal.panel import Key
from services.ntp.keyring import KeyRing
from services.ntp.keys import key_type
from services.ntp.service import NtpService
from services.ptp.service import PtpService
from services.simple_time.formats import daytime, rfc868
from services.simple_time.server import SimpleTimeServer
from services.snmp.service import SnmpService
from services.ssh.server import SshService
from services.syslog.forwarder import SyslogForwarder
from services.telnet.server import TelnetService
from services.web.app_context import WebContext
from services.web.service import HttpsService
from services.web.sessions import WebSessions
from sim.gps.backend import SimGpsReceiver
from sim.panel import SimDisplay, SimKeypad


def _control(config: Config, context: Context) -> Service:
    return ControlService(context.data_dir / "control.sock", context.status, context.reboot)


def _ntp(config: Config, context: Context) -> Service:
    section = config.services.ntp
    keys = Path(section.keys_file) if section.keys_file else context.identity.ntp_keys

    clock = context.clock
    return NtpService(
        section, keys, context.discipline, clock.now_ns, context.served.to_served, context.events,
        context.ntp_since_boot,
    )  # fmt: skip


def _daytime(config: Config, context: Context) -> Service:
    return SimpleTimeServer("daytime", config.services.daytime, context.served, daytime)


def _time(config: Config, context: Context) -> Service:
    return SimpleTimeServer("time", config.services.time, context.served, rfc868)


def _ptp(config: Config, context: Context) -> Service:
    return PtpService(
        config.services.ptp, config.timing.leap_file, context.discipline, context.clock.now_ns,
        context.served.to_served, context.events,
    )  # fmt: skip


def _timing(config: Config, context: Context) -> Service:
    return TimingService(config.timing, context.discipline, context.clock, context.events)


def _gps(config: Config, context: Context) -> Service:
    receiver = GPS_BACKENDS[config.gps.backend](config, context.clock, context.data_dir)
    return GpsService(receiver, context.gps)


def _gps_settings(config: Config) -> object:
    """What the receiver is built from: the simulated world's wander also needs the preset."""
    sim = config.gps.backend == "sim" and config.gps.sim.clock_wander
    return config.gps, config.timing.oscillator if sim else None, config.device.link_dir


def _console(config: Config, context: Context) -> Service:
    section = config.services.console
    link = link_path(config, context.data_dir, section.link)
    port = CONSOLE_PORTS[section.backend](section, link)
    return ConsoleService(port, _console_session(config, context), config.admin.idle_timeout_s)


def _console_session(config: Config, context: Context) -> Callable[[], LoginSession]:
    deadline = context.started_ns + config.admin.recovery_window_s * 1_000_000_000
    recovery = (
        Recovery(context.identity.serial, deadline) if config.admin.recovery_window_s else None
    )
    sessions = session_factory(config, context, recovery)
    return lambda: sessions(CONSOLE)


def session_factory(
    config: Config, context: Context, recovery: Recovery | None = None
) -> Callable[[Origin], LoginSession]:
    """New login sessions for a console; each has its own interpreter (its staged config).
    Only the serial console's sessions offer password recovery."""
    assert context.controls is not None
    controls = context.controls(config)
    users = UserStore(context.identity.users)

    def session(origin: Origin) -> LoginSession:
        interpreter = make_interpreter(controls)
        return LoginSession(
            users, context.events, interpreter, origin, context.guard, context.clock, recovery
        )

    return session


def _ssh(config: Config, context: Context) -> Service:
    identity = context.identity
    host_keys = [identity.ssh_host_keys["ed25519"], identity.ssh_host_keys["rsa"]]
    authorized = context.data_dir / "authorized_keys"
    return SshService(
        config.services.ssh, host_keys, authorized, UserStore(identity.users), context.guard,
        context.events, context.clock, session_factory(config, context),
        config.admin.idle_timeout_s, context.data_dir / UPLOAD_DIR,
        config.firmware.upload_max_bytes,
    )  # fmt: skip


def _telnet(config: Config, context: Context) -> Service:
    sessions = session_factory(config, context)
    return TelnetService(
        config.services.telnet, sessions, context.events, config.admin.idle_timeout_s
    )


def _snmp(config: Config, context: Context) -> Service:
    name = config.device.name or context.identity.hostname
    return SnmpService(
        config.services.snmp, name, context.data_dir / "snmp", context.events, context.status,
        __version__, served_ns=context.served.now_ns,
    )  # fmt: skip


def _https(config: Config, context: Context) -> Service:
    identity = context.identity
    login = Authenticator(UserStore(identity.users), context.guard, context.events, context.clock)
    assert context.controls is not None
    controls = context.controls(config)
    web = WebContext(
        config.device.name or identity.hostname, context.status, login,
        WebSessions(config.admin.idle_timeout_s), context.events, context.clock,
        make_interpreter(controls), lambda: redacted(controls.store.config),
        config.services.https.metrics_allow, controls=controls,
        served_ns=context.served.now_ns,
    )  # fmt: skip
    return HttpsService(
        config.services.https, identity.tls_certificate, identity.tls_key, context.events, web
    )


def _keypad_lock(config: Config, context: Context) -> KeypadLock:
    panel = config.panel
    path = context.data_dir / "keypad.json"
    audit = AuditLog(context.data_dir / "audit.log")
    return KeypadLock(path, context.events, panel.pin_attempts, panel.lockout_seconds, audit)


def _panel(config: Config, context: Context) -> Service:
    rows, columns = (int(n) for n in config.panel.size.split("x"))
    keypad = SimKeypad()
    app = PanelApp(
        _keypad_lock(config, context),
        context.status,
        lambda: panel_settings(config, local_addresses()),
        local_addresses,
        rows,
        config.panel.relock_seconds,
    )
    socket = context.data_dir / "panel.sock"
    display = SimDisplay(rows, columns)
    return PanelService(app, display, keypad, context.served, socket, keypad.inject)


def _syslog(config: Config, context: Context) -> Service:
    return SyslogForwarder(
        config.syslog, config.device.name or context.identity.hostname, context.events
    )


def _firmware(config: Config, context: Context) -> Service:
    return FirmwareService(
        context.data_dir, running_slot(), config.firmware, context.status, context.events,
        context.reboot,
    )  # fmt: skip


# Start order; services stop in the reverse order. Syslog comes first so that the events of
# everything after it reach the collectors.
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("control", lambda c: True, lambda c: None, _control),
    ServiceSpec(
        "syslog", lambda c: bool(c.syslog.targets), lambda c: (c.syslog, c.device), _syslog
    ),
    ServiceSpec("timing", lambda c: True, lambda c: c.timing, _timing),
    ServiceSpec("gps", lambda c: True, _gps_settings, _gps),
    ServiceSpec("ntp", lambda c: c.services.ntp.enabled, lambda c: c.services.ntp, _ntp),
    ServiceSpec(
        "daytime", lambda c: c.services.daytime.enabled, lambda c: c.services.daytime, _daytime
    ),
    ServiceSpec("time", lambda c: c.services.time.enabled, lambda c: c.services.time, _time),
    ServiceSpec(
        "ptp",
        lambda c: c.services.ptp.enabled,
        lambda c: (c.services.ptp, c.timing.leap_file),
        _ptp,
    ),
    ServiceSpec(
        "ssh",
        lambda c: c.services.ssh.enabled,
        lambda c: (
            c.services.ssh,
            c.admin,
            c.device,
            c.panel,
            c.services.ntp.keys_file,
            c.firmware.upload_max_bytes,
        ),
        _ssh,
    ),
    ServiceSpec(
        "telnet",
        lambda c: c.services.telnet.enabled,
        lambda c: (c.services.telnet, c.admin, c.device, c.panel, c.services.ntp.keys_file),
        _telnet,
    ),
    ServiceSpec(
        "snmp", lambda c: c.services.snmp.enabled, lambda c: (c.services.snmp, c.device.name), _snmp
    ),
    ServiceSpec(
        "https",
        lambda c: c.services.https.enabled,
        lambda c: (c.services.https, c.admin, c.device, c.panel, c.services.ntp.keys_file),
        _https,
    ),
    ServiceSpec("panel", lambda c: True, lambda c: c.panel, _panel),
    ServiceSpec(
        "console",
        lambda c: c.services.console.enabled,
        lambda c: (c.services.console, c.admin, c.device, c.panel, c.services.ntp.keys_file),
        _console,
    ),
    # Last: it judges a firmware on trial by the services above.
    ServiceSpec("firmware", lambda c: True, lambda c: c.firmware, _firmware),
)

AVAILABLE = frozenset(spec.name for spec in SERVICES) & frozenset(SERVICE_NAMES)


def make_context(data_dir: Path, identity: Identity, events: EventBus, clock: Clock,
                 config: Config) -> Context:  # fmt: skip
    """The timing chain: receiver reports -> GPS monitor -> discipline -> served clock."""
    monitor = GpsMonitor(events)
    discipline = Discipline(config.timing, events)
    monitor.listeners.append(discipline)
    served = DisciplinedClock(clock, discipline)
    guard = LoginGuard(config.admin, events)
    return Context(data_dir, identity, events, clock, monitor, discipline, served, guard)


def make_appliance(store: ConfigStore, context: Context) -> Appliance:
    reports = {"sim": sim_truth, "commit_confirmed": pending_commit}
    return Appliance(store, context, SERVICES, make_controls, reports)


def _sim_receiver(appliance: Appliance) -> SimGpsReceiver | None:
    service = appliance.service("gps")
    receiver = service.receiver if isinstance(service, GpsService) else None
    return receiver if isinstance(receiver, SimGpsReceiver) else None


def sim_truth(appliance: Appliance) -> dict[str, object] | None:
    """The `sim` section of the status: served time against the simulated world's truth."""
    receiver = _sim_receiver(appliance)
    if receiver is None:
        return None
    host = appliance.context.clock.now_ns()
    return receiver.truth(host, appliance.context.served.to_served(host))


def pending_commit(appliance: Appliance) -> dict[str, object] | None:
    """The `commit_confirmed` section of the status: a change that rolls back unless
    confirmed, and when."""
    pending = appliance.commits.pending
    if pending is None:
        return None
    return {
        "by": pending.who, "from": pending.source, "reason": pending.reason,
        "rolls_back_at": pending.deadline_text(),
        "remaining_s": pending.remaining_s(appliance.context.clock.now_ns()),
    }  # fmt: skip


def make_controls(appliance: Appliance, config: Config) -> Controls:
    """What the command line may touch, wired to this appliance's services and files."""
    context = appliance.context
    section = config.services.ntp
    keys_path = Path(section.keys_file) if section.keys_file else context.identity.ntp_keys

    def gps_inject(scenario: str) -> None:
        receiver = _sim_receiver(appliance)
        if receiver is None:
            raise ValueError("faults can only be injected into the simulated receiver")
        receiver.inject(scenario)  # type: ignore[arg-type]

    def panel(key: str | None) -> list[str]:
        service = appliance.service("panel")
        if not isinstance(service, PanelService):
            raise ValueError("the front panel is not running")
        if key is not None:
            service.app.press(Key(key), context.served.now_ns())
            service.refresh()
        return service.shown

    events = config.events
    return Controls(
        hostname=config.device.name or context.identity.hostname,
        data_dir=context.data_dir,
        bus=context.events,
        status=context.status,
        store=appliance.store,
        reload=lambda: appliance.later(appliance.reload),
        users=UserStore(context.identity.users),
        keypad=_keypad_lock(config, context),
        ntp_keys=NtpKeyControls(
            lambda: KeyRing(keys_path, []).listing(),
            lambda key_id, kind, secret: KeyRing(keys_path, []).add(key_id, key_type(kind), secret),
            lambda key_id: KeyRing(keys_path, []).remove(key_id),
        ),
        events=EventLog(context.data_dir / "events.log", events.max_bytes, events.keep),
        commits=appliance.commits,
        gps_inject=gps_inject if config.gps.backend == "sim" else None,
        panel=panel,
        restart_service=lambda name: appliance.later(lambda: appliance.restart_service(name)),
        restart_all=lambda: appliance.later(appliance.restart_all),
        factory_reset=appliance.factory_reset,
        firmware_restart=appliance.firmware_restart,
    )


def make_store(data_dir: Path, config_path: Path, clock: Clock) -> ConfigStore:
    def check(config: Config, changed: list[str]) -> list[str]:
        return check_named_files(config, changed, data_dir)

    return ConfigStore(config_path, AVAILABLE, AuditLog(data_dir / "audit.log"), clock, check)
