"""The SNMP service: net-snmp's snmpd as a child process, its config written from ours at
each start, its log lines turned into events, and our AgentX subagent serving the NTPv4-MIB
and our own MIB through it; the supervisor restarts both when snmpd dies."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
from collections.abc import Callable
from pathlib import Path

from firmware.base.atomic_file import write_atomic
from firmware.base.child_process import end_child
from firmware.base.config.schema import SnmpSection
from firmware.base.events import Event, EventBus, Severity
from firmware.base.service import ServiceTasks, StartError
from firmware.base.status import StatusTree
from services.snmp.agentx_client import AgentxClient
from services.snmp.front_door import FrontDoor
from services.snmp.front_door_io import FrontDoorServer, free_loopback_port
from services.snmp.notifications import NOTIFIERS, notifications_for
from services.snmp.objects import ENTERPRISE, SUBTREES, view_source
from services.snmp.snmpd_conf import (
    AGENT_ADDRESS,
    SnmpdPlaces,
    snmpd_conf,
    without_users,
)
from services.snmp.snmpd_log import READY, UNDECRYPTABLE_KIND, LogCap, classify
from services.snmp.subagent import Subagent

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
PR_SET_PDEATHSIG = 1
MAX_SOCKET_PATH = 107


def _die_with_parent() -> None:
    """In the child before exec: snmpd gets SIGTERM if the appliance dies, even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class SnmpService:
    name = "snmp"

    def __init__(
        self, section: SnmpSection, sys_name: str, directory: Path, events: EventBus,
        status: Callable[[], StatusTree] = dict, version: str = "", program: str = "snmpd",
        served_ns: Callable[[], int] | None = None,
    ) -> None:  # fmt: skip
        self.section = section
        self.sys_name = sys_name
        self.places = SnmpdPlaces(directory)
        self.events = events
        self.program = program
        self.view = view_source(status, version, served_ns)
        subagent = Subagent(ENTERPRISE, "timeserver", SUBTREES, self.view)
        self.client = AgentxClient(self.places.agentx, subagent, events)
        self.process: asyncio.subprocess.Process | None = None
        self.tasks = ServiceTasks()
        self.cap = LogCap()
        self.door: FrontDoorServer | None = None
        self.notify_cap = LogCap()

    def _prepare(self, agent_port: int) -> str:
        """The config file and the persistent directory, owner-only (the file holds the
        users' passphrases); returns the files snmpd is to read, for `-c`.

        With `-C` snmpd reads no file it is not named, its persistent file included: that
        one comes second, so that the engine ID and engine boots carry over."""
        if "," in str(self.places.directory) or len(str(self.places.agentx)) > MAX_SOCKET_PATH:
            raise StartError(
                f"snmpd cannot use {self.places.directory}: a comma in it, or too long a path "
                "for its AgentX socket"
            )
        for directory in (self.places.directory, self.places.persistent):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(directory, 0o700)
        text = snmpd_conf(
            self.section, self.sys_name, self.places, agent_port, SUBTREES, ENTERPRISE
        )
        write_atomic(self.places.conf, text.encode())
        persistent = self.places.persistent / "snmpd.conf"
        if not persistent.exists():
            return str(self.places.conf)
        write_atomic(persistent, without_users(persistent.read_text(errors="replace")).encode())
        return f"{self.places.conf},{persistent}"

    async def start(self) -> None:
        """The front door first, so that a taken port fails the start at once; then snmpd
        behind it on a loopback port of its own, then the subagent."""
        agent_port = free_loopback_port()
        section = self.section
        door = FrontDoorServer(FrontDoor(section.allow), section.bind, section.port,
                               (AGENT_ADDRESS, agent_port), self.events)  # fmt: skip
        await door.start()
        self.door = door
        try:
            await self._start_snmpd(agent_port)
        except BaseException:
            door.stop()
            self.door = None
            raise

    async def _start_snmpd(self, agent_port: int) -> None:
        files = self._prepare(agent_port)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "SNMP_PERSISTENT_DIR": str(self.places.persistent),
            "SNMPCONFPATH": str(self.places.directory),
            "MIBS": "",
        }
        try:
            self.process = await asyncio.create_subprocess_exec(
                self.program, "-f", "-Lo", "-C", "-c", files, "-m", "",
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, env=environment,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        except FileNotFoundError as exc:
            raise StartError(f"{self.program} is not installed (Debian package snmpd)") from exc
        try:
            await asyncio.wait_for(self._until_ready(), START_TIMEOUT_S)
        except TimeoutError as exc:
            raise StartError(f"snmpd did not start within {START_TIMEOUT_S:g} s") from exc
        self.tasks.spawn(self._follow(self.process), "snmpd-log")
        self.tasks.spawn(self.client.run(), "snmp-subagent")
        self.events.subscribe(self._notify)

    def _notify(self, event: Event) -> None:
        """An event sink: the notifications an event sends go to snmpd now (at most 20 in
        10 s: a flood of failed logins must not become a flood of traps)."""
        if event.kind not in NOTIFIERS:
            return
        for notification in notifications_for(event, self.view()):
            if self.notify_cap.admit(asyncio.get_running_loop().time())[0]:
                self.client.notify(notification)

    async def _until_ready(self) -> None:
        """Log snmpd's lines until it says it runs; if it exits first, fail with its words."""
        assert self.process is not None and self.process.stdout is not None
        said: list[str] = []
        while True:
            raw = await self.process.stdout.readline()
            if not raw:
                code = await self.process.wait()
                why = "; ".join(said[-3:]) or f"exit status {code}"
                raise StartError(f"snmpd did not start: {why}")
            if READY.search(raw.decode(errors="replace")):
                return
            line = self._log(raw)
            if line:
                said.append(line)

    async def _follow(self, process: asyncio.subprocess.Process) -> None:
        """snmpd's log lines as events until it exits, which ends the service."""
        assert process.stdout is not None
        while raw := await process.stdout.readline():
            self._log(raw)
        code = await process.wait()
        raise RuntimeError(f"snmpd exited ({_exit_text(code)})")

    def _log(self, raw: bytes) -> str:
        line = classify(raw)
        if line is None:
            return ""
        if line.kind == UNDECRYPTABLE_KIND and self.door is not None:
            self.door.undecryptable()
        allowed, dropped = self.cap.admit(asyncio.get_running_loop().time())
        if allowed:
            message = line.message
            if dropped:
                message += f" ({dropped} more lines of snmpd were not logged)"
            self.events.emit(line.kind, line.severity, message, security=line.security)
        return line.message

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        """The subagent goes first, so that snmpd's going is no lost session."""
        self.events.unsubscribe(self._notify)
        await self.tasks.cancel_all()
        door, self.door = self.door, None
        if door is not None:
            door.stop()
        process, self.process = self.process, None
        if process is not None and await end_child(process, STOP_TIMEOUT_S, signal.SIGTERM):
            self.events.emit("snmp.killed", Severity.WARNING, "snmpd did not stop; killed")

    def _places(self) -> str:
        port = self.section.port
        return ", ".join(f"[{a}]:{port}" if ":" in a else f"{a}:{port}" for a in self.section.bind)

    def status(self) -> dict[str, object]:
        process = self.process
        return {
            "listening": self._places(),
            "pid": process.pid if process is not None and process.returncode is None else None,
            "users": len(self.section.users),
            "v2c": bool(self.section.v2c_community),
            "log_lines_dropped": self.cap.dropped_total,
            "subagent": "registered" if self.client.registered else "not registered",
            "subagent_sessions": self.client.sessions,
            "agentx_requests": self.client.subagent.counters.requests,
            "sets_refused": self.client.subagent.counters.sets_refused,
            "notifications_sent": self.client.subagent.counters.notifications,
            "notifications_lost": self.client.notifications_lost,
            "notifications_capped": self.notify_cap.dropped_total,
            "requests": self.door.status() if self.door is not None else {},
        }


def _exit_text(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"
