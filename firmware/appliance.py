"""The running appliance: the config store, the supervised services in their fixed order,
reloads that restart only what changed, and what the admin command line may ask of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from firmware.admin.confirmed import ConfirmedCommits
from firmware.admin.controls import Controls
from firmware.base.config import SERVICE_NAMES, Config, ConfigError
from firmware.base.config.rollback import PendingRollback, RollbackFile
from firmware.base.config.store import ConfigStore
from firmware.base.events import Severity
from firmware.base.service import Service
from firmware.base.status import StatusTree
from firmware.context import Context
from firmware.factory_reset import erase_for_reset
from firmware.supervisor import Backoff, Supervisor
from firmware.upgrade.bundle import BundleError

# A section of the status that is no service's own, built from the running appliance;
# None leaves it out.
Report = Callable[["Appliance"], dict[str, object] | None]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    enabled: Callable[[Config], bool]
    settings: Callable[[Config], object]
    """The part of the config the service depends on: a change there restarts it."""
    build: Callable[[Config, Context], Service]


class Appliance:
    """The running appliance: a config store, the event bus and the supervised services."""

    def __init__(
        self,
        store: ConfigStore,
        context: Context,
        specs: tuple[ServiceSpec, ...],
        controls: Callable[[Appliance, Config], Controls],
        reports: Mapping[str, Report] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.store = store
        self.specs = specs
        self.available = frozenset(spec.name for spec in specs) & frozenset(SERVICE_NAMES)
        self.supervisor = Supervisor(context.events, backoff)
        self.reports = dict(reports or {})
        self.context = replace(
            context, status=self.status, controls=lambda config: controls(self, config),
            reboot=self.reboot_firmware,
        )  # fmt: skip
        self.config = store.config
        self.stopping = asyncio.Event()
        self.pending: set[asyncio.Task[object]] = set()
        self.changes = asyncio.Lock()
        """Held by every path that starts or stops services (boot, SIGHUP, commits, restarts,
        shutdown): two at once would each start a service the other had just replaced."""
        self.stopped = False
        self.rebooting = False
        """Set when the appliance stops to start again through the boot loader (a firmware
        installed, committed or rolled back)."""
        rollback = RollbackFile(context.data_dir / "rollback.toml")
        self.commits = ConfirmedCommits(
            store, rollback, context.events, context.clock, _alarm, self._expire
        )

    def status(self) -> StatusTree:
        """Every service's status, then the reports that are no service's own."""
        tree = self.supervisor.status()
        for name, report in self.reports.items():
            section = report(self)
            if section is not None:
                tree[name] = section
        return tree

    async def start(self) -> None:
        """Start the services; a commit confirmed left pending by a restart is rolled back
        first, so that an unconfirmed change never outlives the run that made it."""
        async with self.changes:
            recovered = self.commits.recover()
            if recovered is not None:
                self.config = self.store.config
                self.context.guard.settings = self.config.admin
            await self._start()
        if recovered is not None:  # now syslog forwards it too
            self.commits.announce(recovered, "the appliance restarted before it was confirmed")

    async def _start(self) -> None:
        for spec in self.specs:
            if spec.enabled(self.config):
                await self.supervisor.start(spec.build(self.config, self.context))

    async def stop(self) -> None:
        """Stop every service; reloads and restarts asked for afterwards do nothing."""
        async with self.changes:
            self.stopped = True
            await self._stop()

    async def _stop(self) -> None:
        for spec in reversed(self.specs):
            await self.supervisor.stop(spec.name)

    async def reload(self) -> list[str]:
        """Re-read the config; restart only the services whose settings changed.

        An invalid file is refused with an event and the running config stays. Reloads run
        one at a time, each from the file as it is when its turn comes.
        """
        async with self.changes:
            if self.stopped:
                return []
            return await self._reload()

    async def _reload(self) -> list[str]:
        events = self.context.events
        old = self.config
        try:
            new = self.store.reload(who="config file", source="SIGHUP")
        except ConfigError as exc:
            for problem in exc.problems:
                events.emit("config.invalid", Severity.ERROR, problem)
            events.emit("config.refused", Severity.ERROR, "new config refused; running config kept")
            return []
        self.context.guard.settings = new.admin
        changed = [
            spec
            for spec in self.specs
            if spec.enabled(old) != spec.enabled(new) or spec.settings(old) != spec.settings(new)
        ]
        retuned = [
            spec.name
            for spec in changed
            if spec.enabled(old) and spec.enabled(new)
            and self.supervisor.retune(spec.name, spec.settings(new))
        ]  # fmt: skip
        changed = [spec for spec in changed if spec.name not in retuned]
        for spec in reversed(changed):
            await self.supervisor.stop(spec.name)
        self.config = new
        for spec in changed:
            if spec.enabled(new):
                await self.supervisor.start(spec.build(new, self.context))
        names = [spec.name for spec in changed]
        live = f"; changed without a restart: {', '.join(retuned)}" if retuned else ""
        events.emit(
            "config.reloaded",
            Severity.NOTICE,
            f"config reloaded; restarted: {', '.join(names) or 'none'}{live}",
        )
        return names

    def listening(self) -> list[str]:
        """Where each service listens, for the boot banner."""
        lines = []
        running = self.supervisor.status()
        for name in ("ntp", "daytime", "time", "ssh", "telnet", "snmp", "https", "ptp"):
            section = getattr(self.config.services, name)
            if not section.enabled:
                state = "not available in this build" if name not in self.available else "disabled"
                lines.append(f"  {name:<8} {state}")
                continue
            places = ", ".join(_join(address, section.port) for address in section.bind)
            service = running.get(name, {})
            if service.get("state") != "running":
                places += f"  (not running: {service.get('last_error') or 'starting'})"
            lines.append(f"  {name:<8} {places}")
        targets = ", ".join(self.config.syslog.targets) or "none configured"
        lines.append(f"  {'syslog':<8} forwarding to {targets}")
        lines.append(f"  {'gps':<8} {self._gps_line(running.get('gps', {}))}")
        console = running.get("console", {}).get("port", "disabled")
        lines.append(f"  {'console':<8} {console}")
        return lines

    def _gps_line(self, gps: dict[str, object]) -> str:
        """Where the receiver is read from, as configured for its backend; why not, if not."""
        backend = self.config.gps.backend
        where = {
            "serial": self.config.gps.serial.url,
            "gpsd": f"{self.config.gps.gpsd.host}:{self.config.gps.gpsd.port}",
        }.get(backend) or str(gps.get("url") or "a pty")
        device = gps.get("device")
        linked = device.get("link") if isinstance(device, dict) else None
        line = f"{backend} receiver at {where}" + (f" (link {linked})" if linked else "")
        if gps.get("state") != "running":
            line += f"  (not running: {gps.get('last_error') or 'starting'})"
        return line

    # -- what the command line asks for -------------------------------------------------

    def _expire(self, pending: PendingRollback) -> None:
        self.later(lambda: self.roll_back(pending))

    async def roll_back(self, pending: PendingRollback) -> None:
        """The rollback of a commit confirmed nobody confirmed: the previous config goes back
        through the same lock and the same reload as any commit. A shutdown before it leaves
        the rollback file, which the next start carries out."""
        async with self.changes:
            if self.stopped or not self.commits.roll_back(pending):
                return
            await self._reload()

    def later(self, work: Callable[[], object]) -> None:
        """Run a coroutine after the current command has answered."""

        async def run() -> None:
            outcome = work()
            if asyncio.iscoroutine(outcome):
                await outcome

        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(run())
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    def service(self, name: str) -> Service | None:
        runner = self.supervisor.runners.get(name)
        return runner.service if runner is not None else None

    async def restart_service(self, name: str) -> None:
        spec = next(spec for spec in self.specs if spec.name == name)
        async with self.changes:
            if self.stopped:
                return
            await self.supervisor.stop(name)
            if spec.enabled(self.config):
                await self.supervisor.start(spec.build(self.config, self.context))

    async def restart_all(self) -> None:
        async with self.changes:
            if self.stopped:
                return
            self.context.events.emit(
                "appliance.reboot", Severity.NOTICE, "restarting every service"
            )
            await self._stop()
            await self._start()

    def reboot_firmware(self) -> None:
        self.rebooting = True
        self.stopping.set()

    def firmware_restart(self, work: Callable[[], None] | None) -> None:
        """Run `work` (a firmware install: pip, seconds long) in a thread, so that the
        services go on meanwhile, then restart through the boot loader."""

        async def run() -> None:
            if work is not None:
                try:
                    await asyncio.to_thread(work)
                except (BundleError, OSError) as exc:
                    self.context.events.emit(
                        "firmware.install_failed", Severity.ERROR,
                        f"firmware install failed: {exc}; the running firmware stays",
                    )  # fmt: skip
                    return
            self.reboot_firmware()

        self.later(run)

    def factory_reset(self) -> None:
        self.commits.abandon()  # its rollback would write the erased config back
        erase_for_reset(self.context.data_dir, self.context.events)
        self.stopping.set()


def _alarm(seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
    return asyncio.get_running_loop().call_later(seconds, callback).cancel


def _join(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
