"""Commands about the appliance as a whole: status, services, logs, audit, version."""

from __future__ import annotations

import json

from firmware import __version__
from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.hardening import all_passed, format_checks, hardening_checks
from firmware.admin.shell import Reply
from firmware.admin.staging import stage
from firmware.admin.status_report import format_status
from firmware.base.config import SERVICE_NAMES


def status(call: Call) -> Reply:
    return Reply(format_status(call.controls.status()))


def version(call: Call) -> Reply:
    return Reply(f"timeserver {__version__} on {call.controls.hostname}")


def services(call: Call) -> Reply:
    args, controls = call.args, call.controls
    if not args or args == ["list"]:
        running = controls.status()
        config = controls.store.config
        lines = []
        for name in SERVICE_NAMES:
            section = getattr(config.services, name)
            state = running.get(name, {}).get("state", "stopped" if section.enabled else "off")
            lines.append(f"{name:<8} {'enabled ' if section.enabled else 'disabled'}  {state}")
        return Reply("\n".join(lines))
    if len(args) != 2 or args[0] not in ("enable", "disable", "restart"):
        return Reply.usage(f"usage: {SERVICES_USAGE}")
    action, name = args
    if name not in SERVICE_NAMES:
        return Reply.failed(f"no service {name!r}; services are {', '.join(SERVICE_NAMES)}")
    if action == "restart":
        if controls.restart_service is None or name not in controls.status():
            return Reply.failed(f"{name} is not running")
        controls.restart_service(name)
        return Reply(f"{name} restarting now")
    if action == "disable" and name == "ntp":
        return Reply.failed("NTP cannot be disabled: serving time is what the appliance is for")
    return stage(controls, call.session, {f"services.{name}.enabled": action == "enable"})


SERVICES_USAGE = "services [list | enable NAME | disable NAME | restart NAME]"


def log(call: Call) -> Reply:
    """log show|tail [--audit] [N]: the event log (or the config audit log), newest last."""
    args = list(call.args)
    audit = "--audit" in args
    if audit:
        args.remove("--audit")
    if not args or args[0] not in ("show", "tail"):
        return Reply.usage("usage: log show|tail [--audit] [N]")
    count = int(args[1]) if len(args) > 1 and args[1].isdigit() else 20
    if audit:
        entries = list(call.controls.store.audit.entries())[-count:]
        lines = [
            f"{e.time} {e.who} from {e.source}: {e.key} {json.dumps(e.old)} -> {json.dumps(e.new)}"
            for e in entries
        ]
    else:
        events = list(call.controls.events.read())[-count:]
        lines = [f"{e['time']} {e['severity']:<7} {e['message']}" for e in events]
    return Reply("\n".join(lines) or "(empty)")


def syslog(call: Call) -> Reply:
    targets = call.controls.store.config.syslog.targets
    running = call.controls.status().get("syslog", {}).get("targets", {})
    if not targets:
        return Reply("no remote syslog; config set syslog.targets udp://HOST:514; config commit")
    lines = []
    for url in targets:
        state = running.get(url) if isinstance(running, dict) else None
        lines.append(f"{url}\n  {syslog_state(state)}")
    return Reply("\n".join(lines))


def syslog_state(state: object) -> str:
    """A collector's connection and queue, in words an operator acts on."""
    if not isinstance(state, dict):
        return "not running (the syslog service is stopped)"
    if not state.get("tried"):
        link = "connecting"
    elif state.get("connected"):
        link = "connected"
    else:
        why = state.get("last_error")
        link = f"unreachable ({why}), retrying" if why else "unreachable, retrying"
    queued, capacity = state.get("queued", 0), state.get("capacity", 0)
    if not queued:
        queue = "queue empty"
    elif queued == capacity:
        queue = f"queue full ({queued}): the oldest events are being dropped"
    else:
        queue = f"{queued} of {capacity} events waiting"
    dropped = state.get("dropped", 0)
    lost = f", {dropped} dropped since start" if dropped else ""
    return f"{link}; {queue}; {state.get('sent', 0)} sent{lost}"


def audit(call: Call) -> Reply:
    controls = call.controls
    checks = hardening_checks(controls.store.config, controls.data_dir, controls.keypad)
    report = format_checks(checks)
    return Reply(report) if all_passed(checks) else Reply.failed(report)


def reboot(call: Call) -> Reply:
    if call.controls.restart_all is None:
        return Reply.failed("reboot is not available here")
    call.controls.restart_all()
    return Reply("restarting every service")


def factory_reset(call: Call) -> Reply:
    if call.args != ["confirm"]:
        return Reply.usage(
            "factory-reset erases the config, the accounts and every key, then stops the "
            "appliance; type 'factory-reset confirm' to do it"
        )
    if call.controls.factory_reset is None:
        return Reply.failed("factory-reset is not available here")
    call.controls.factory_reset()
    return Reply("erased; the appliance stops now and makes a new identity when started", True)


COMMANDS = {
    "status": Command("show the sync state, the GPS receiver and each service", status),
    "version": Command("show the firmware version", version),
    "whoami": Command(
        "show who is logged in", lambda c: Reply(f"{c.session.user} ({c.session.role})")
    ),
    "logout": Command("end this session", lambda c: Reply("bye", logout=True)),
    "exit": Command("end this session", lambda c: Reply("bye", logout=True)),
    "services": Command(
        f"{SERVICES_USAGE}\n"
        "  enable and disable stage the change ('config commit' applies it, with the other\n"
        "  staged changes; 'config diff' shows them); restart applies at once.",
        services,
        writes=("enable", "disable", "restart"),
        subcommands=("list", "enable", "disable", "restart"),
    ),  # fmt: skip
    "log": Command(
        "log show|tail [--audit] [N]: events, or config changes", log, subcommands=("show", "tail")
    ),  # fmt: skip
    "syslog": Command("show the remote syslog collectors and their state", syslog),
    "audit": Command(
        "check the running config against the hardening guide\n"
        "  It fails when a check that applies fails: 'ssh HOST audit' then exits 1.",
        audit,
    ),
    "reboot": Command("restart every service", reboot, writes=True),
    "factory-reset": Command(
        "erase config, accounts and keys (asks first)", factory_reset, writes=True
    ),  # fmt: skip
}
