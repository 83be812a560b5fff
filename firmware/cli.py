"""The `timeserver` command: boot the appliance and work with its config."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import get_args

import tomli_w

from firmware import __version__, install_command
from firmware.admin.hardening import all_passed, format_checks, hardening_checks
from firmware.admin.passwords import PasswordError
from firmware.admin.status_report import format_status
from firmware.admin.users import UserStore
from firmware.appliance import Appliance
from firmware.base.config import Config, ConfigError, load_config
from firmware.base.config.reference import reference_markdown
from firmware.base.config.store import redacted
from firmware.base.events import EventBus, EventLog, Severity, StderrLog
from firmware.base.status import StatusTree
from firmware.boot import AVAILABLE, make_appliance, make_context, make_store
from firmware.control import ask
from firmware.data_lock import DataDirInUse, lock_data_dir
from firmware.factory_reset import finish_reset
from firmware.identity import PASSWORD_VARIABLE, Identity, ensure_identity
from firmware.init_process import become_init
from firmware.panel.client import run_panel
from firmware.panel.lock import KeypadLock
from firmware.slot_loader import enter_active_slot, restart_through_loader
from firmware.timing.sync_state import State
from firmware.upgrade import commands as firmware_commands
from hal.clock import HostClock
from hal.gps.types import GpsScenario
from hal.panel import Key
from sim.gps.device import SimGpsDevice
from sim.gps.receiver import ReceiverSettings, SimReceiver


def default_data_dir() -> Path:
    """$TIMESERVER_DATA_DIR, else /var/lib/timeserver for root, else the user's state dir."""
    if os.environ.get("TIMESERVER_DATA_DIR"):
        return Path(os.environ["TIMESERVER_DATA_DIR"])
    if os.geteuid() == 0:
        return Path("/var/lib/timeserver")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "timeserver"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="timeserver", description="GPS time-server appliance")
    top.add_argument("--version", action="version", version=f"timeserver {__version__}")
    commands = top.add_subparsers(dest="command", required=True)
    boot = commands.add_parser("boot", help="boot the appliance in the foreground")
    _data_dir_options(boot)
    boot.add_argument("--log-json", action="store_true", help="log lines on stderr as JSON")
    config = commands.add_parser("config", help="check, show or document the config")
    actions = config.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="check a config file; exit 2 on problems")
    validate.add_argument("file", type=Path)
    show = actions.add_parser("show", help="print the config in effect, secrets redacted")
    _data_dir_options(show)
    actions.add_parser("reference", help="print the config reference (Markdown)")
    audit = commands.add_parser("audit", help="check the config against the hardening guide")
    _data_dir_options(audit)
    status = commands.add_parser("status", help="show a running appliance's sync state")
    _data_dir_options(status)
    status.add_argument("--json", action="store_true", help="print the raw status as JSON")
    status.add_argument(
        "--health", action="store_true",
        help="exit 0 only when NTP is serving and the sync state is LOCKED or HOLDOVER "
        "(a container HEALTHCHECK)",
    )  # fmt: skip
    panel = commands.add_parser("panel", help="show and drive a running appliance's panel")
    _data_dir_options(panel)
    panel.add_argument(
        "--press", action="append", default=[], choices=[key.value for key in Key],
        help="press a key (repeatable), then print the display and exit",
    )  # fmt: skip
    panel.add_argument("--once", action="store_true", help="print the display and exit")
    sim = commands.add_parser("sim", help="run a simulated device on its own")
    devices = sim.add_subparsers(dest="device", required=True)
    gps = devices.add_parser("gps", help="simulated GPS receiver writing NMEA into a pty")
    gps.add_argument("--link", type=Path, required=True, help="make this a symlink to the pty")
    gps.add_argument("--scenario", choices=get_args(GpsScenario), default="locked")
    firmware_actions = firmware_commands.add_parser(commands)
    install = firmware_actions.add_parser(
        "install", help="install a signed bundle into the inactive slot, on trial"
    )
    install_command.add_arguments(install)
    return top


def _data_dir_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--data-dir", type=Path, default=None, help="data directory (default: see README)"
    )
    command.add_argument(
        "--config", type=Path, default=None, help="config file (default: DATA_DIR/config.toml)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(words)
    if args.command == "boot":
        return boot(args, words)
    if args.command == "status":
        return show_status(args)
    if args.command == "audit":
        return hardening_audit(args)
    if args.command == "panel":
        data_dir, _ = _paths(args)
        return run_panel(data_dir / "panel.sock", args.press, args.once)
    if args.command == "sim":
        return asyncio.run(simulate_gps(args.link, args.scenario))
    if args.command == "firmware":
        if args.action == "install":
            return install_command.install(args)
        return firmware_commands.run(args)
    if args.action == "validate":
        return validate(args.file)
    if args.action == "show":
        return show(args)
    sys.stdout.write(reference_markdown(AVAILABLE))
    return 0


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    data_dir: Path = args.data_dir or default_data_dir()
    return data_dir, args.config or data_dir / "config.toml"


def first_boot(args: argparse.Namespace) -> bool:
    """The default config may be missing only before the first boot made this appliance's
    serial number; a config named with --config must always exist."""
    data_dir, _ = _paths(args)
    return args.config is None and not (data_dir / "serial").exists()


def validate(path: Path) -> int:
    if _config_or_problems(path) is None:
        return 2
    print(f"{path}: valid")
    return 0


def _config_or_problems(path: Path, missing_ok: bool = False) -> Config | None:
    """The config in `path`, or None after printing one line per problem."""
    try:
        return load_config(path, AVAILABLE, missing_ok)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return None


def hardening_audit(args: argparse.Namespace) -> int:
    """One line per recommendation; exit 1 when any that applies fails."""
    data_dir, config_path = _paths(args)
    config = _config_or_problems(config_path, first_boot(args))
    if config is None:
        return 2
    keypad = KeypadLock(data_dir / "keypad.json", EventBus(HostClock()))
    checks = hardening_checks(config, data_dir, keypad)
    print(format_checks(checks))
    return 0 if all_passed(checks) else 1


def show_status(args: argparse.Namespace) -> int:
    data_dir, _ = _paths(args)
    try:
        reply = ask(data_dir / "control.sock", {"command": "status"})
    except OSError as exc:
        print(f"timeserver status: no running appliance in {data_dir}: {exc}", file=sys.stderr)
        return 2
    tree = reply.get("status")
    if not isinstance(tree, dict):
        print(f"timeserver status: {reply.get('error', 'no answer')}", file=sys.stderr)
        return 2
    if args.health:
        healthy, why = health(tree)
        print(f"timeserver status: {why}", file=sys.stdout if healthy else sys.stderr)
        return 0 if healthy else 1
    print(json.dumps(tree, indent=2) if args.json else format_status(tree))
    return 0


HEALTHY_STATES = (State.LOCKED.value, State.HOLDOVER.value)


def health(tree: StatusTree) -> tuple[bool, str]:
    """Healthy: the NTP service runs and the time it serves is LOCKED or in HOLDOVER."""
    ntp = tree.get("ntp")
    timing = tree.get("timing")
    ntp_state = ntp.get("state") if isinstance(ntp, dict) else None
    sync_state = timing.get("sync_state") if isinstance(timing, dict) else None
    if ntp_state != "running":
        return False, f"unhealthy: NTP is not serving (service {ntp_state or 'absent'})"
    if sync_state not in HEALTHY_STATES:
        return False, f"unhealthy: sync state {sync_state or 'unknown'}, not LOCKED or HOLDOVER"
    return True, f"healthy: NTP serving, {sync_state}"


def show(args: argparse.Namespace) -> int:
    _, config_path = _paths(args)
    config = _config_or_problems(config_path, first_boot(args))
    if config is None:
        return 2
    sys.stdout.write(tomli_w.dumps(redacted(config)))
    return 0


def boot(args: argparse.Namespace, words: list[str]) -> int:
    """Boot the firmware the boot loader picks (firmware/slot_loader.py), in this process."""
    become_init()
    data_dir, config_path = _paths(args)
    enter_active_slot(data_dir, words)
    clock = HostClock()
    store = make_store(data_dir, config_path, clock)
    try:
        # A factory reset cut short is finished before anything is read (firmware/factory_reset.py).
        resumed_reset = data_dir.is_dir() and finish_reset(data_dir)
        config = store.load(first_boot(args))
        lock = lock_data_dir(data_dir)  # held until the process exits
        now = datetime.datetime.now(datetime.UTC)
        identity = ensure_identity(data_dir, os.environ.get(PASSWORD_VARIABLE), now)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        print("timeserver: config refused; nothing started", file=sys.stderr)
        return 2
    except DataDirInUse as exc:
        print(f"timeserver: {exc}; nothing started", file=sys.stderr)
        return 2
    except PasswordError as exc:
        print(f"timeserver: {PASSWORD_VARIABLE}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"timeserver: data directory {data_dir}: {exc}", file=sys.stderr)
        return 2
    events = EventBus(clock)
    events.subscribe(StderrLog(json_lines=args.log_json))
    events.subscribe(EventLog(data_dir / "events.log", config.events.max_bytes, config.events.keep))
    if resumed_reset:
        events.emit(
            "appliance.factory_reset", Severity.WARNING,
            "factory reset finished at boot: it had been cut short", security=True,
        )  # fmt: skip
    appliance = make_appliance(store, make_context(data_dir, identity, events, clock, config))
    banner = partial(print_banner, appliance, identity, data_dir, config_path)
    try:
        code = asyncio.run(run(appliance, banner))
    finally:
        os.close(lock)
    if appliance.rebooting:
        restart_through_loader(words)
    return code


def print_banner(appliance: Appliance, identity: Identity, data_dir: Path, config: Path) -> None:
    name = appliance.config.device.name or identity.hostname
    lines = [
        f"timeserver {__version__}  {name}  serial {identity.serial}",
        f"data directory {data_dir}; config {config}",
        *firmware_lines(appliance),
        "services:",
        *appliance.listening(),
    ]
    lines += login_lines(appliance, identity, data_dir)
    print("\n".join(lines), flush=True)


def firmware_lines(appliance: Appliance) -> list[str]:
    """Which firmware runs, signed by whom, on trial or not; why the last rollback was."""
    service = appliance.service("firmware")
    if service is None:
        return []
    status = service.status()
    signed = f", signed by key {status['signed_by']}" if status["signed_by"] else ""
    trial = " (on trial: it commits itself once healthy)" if status["trial"] else ""
    lines = [f"firmware {status['version']} from {status['slot']}{signed}{trial}"]
    if status["rolled_back"]:
        lines.append(f"firmware {status['rolled_back']}")
    return lines


def login_lines(appliance: Appliance, identity: Identity, data_dir: Path) -> list[str]:
    """How to log in: only the ways that are up, and which password."""
    ways = []
    ssh = appliance.config.services.ssh
    if appliance.supervisor.status().get("ssh", {}).get("state") == "running":
        host = "127.0.0.1" if "0.0.0.0" in ssh.bind else ssh.bind[0]
        ways.append(f"ssh -p {ssh.port} admin@{host}")
    if appliance.config.services.console.enabled:
        ways.append("the console above")
    lines = [f"log in with {' or '.join(ways) or 'no console enabled and SSH not running'}"]
    admin = UserStore(data_dir / "users.json").load().get("admin")
    if identity.one_time_password:
        lines.append(
            f"login: user admin, one-time password {identity.one_time_password} "
            "(shown only now; it must be changed at first login)"
        )
    elif "admin account" in identity.created:
        lines.append(f"login: user admin, with the password from {PASSWORD_VARIABLE}")
    elif admin is not None and admin.must_change_password:
        lines.append(
            "login: user admin, with the one-time password shown at the first boot (not "
            "changed yet; it is not shown again)"
        )
    else:
        lines.append("login: user admin, with the password set earlier")
    return lines


async def simulate_gps(link: Path, scenario: GpsScenario) -> int:
    clock = HostClock()
    device = SimGpsDevice(
        SimReceiver(ReceiverSettings(scenario=scenario), clock.now_ns()), clock, str(link),
        own_directory=False,
    )  # fmt: skip
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    await device.start()
    print(f"simulated GPS receiver on {device.link_target}, linked at {link}; scenario {scenario}")
    print(f"read it with: gpsd -N -n -b {link}   or   picocom -b 9600 {link}", flush=True)
    await stopping.wait()
    await device.stop()
    return 0


async def run(appliance: Appliance, banner: Callable[[], None]) -> int:
    loop = asyncio.get_running_loop()
    stopping = appliance.stopping

    async def reload() -> None:
        try:
            await appliance.reload()
        except Exception as exc:
            appliance.context.events.emit(
                "config.reload_failed", Severity.ERROR, f"reload failed: {exc!r}"
            )

    pending: set[asyncio.Task[None]] = set()

    def on_hangup() -> None:
        task = loop.create_task(reload())
        pending.add(task)
        task.add_done_callback(pending.discard)

    def stop() -> None:
        appliance.rebooting = False  # a stop asked for during a firmware restart wins
        stopping.set()

    loop.add_signal_handler(signal.SIGTERM, stop)
    loop.add_signal_handler(signal.SIGINT, stop)
    loop.add_signal_handler(signal.SIGHUP, on_hangup)
    events = appliance.context.events
    events.emit("appliance.booting", Severity.NOTICE, "appliance booting")
    await appliance.start()
    banner()
    events.emit("appliance.ready", Severity.NOTICE, "appliance ready")
    await stopping.wait()
    events.emit("appliance.stopping", Severity.NOTICE, "appliance stopping")
    await appliance.stop()
    events.emit("appliance.stopped", Severity.NOTICE, "appliance stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
