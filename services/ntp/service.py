"""The NTP service as the supervisor sees it: worker processes sharing the port, each
replaced alone when it dies, and the publisher that keeps their clock and sync state in step
with the appliance's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from firmware.base.child_process import end_child
from firmware.base.config.schema import NtpSection
from firmware.base.events import EventBus, Severity
from firmware.base.service import Backoff, ServiceTasks, StartError
from services.ntp.counters import COUNTERS, SinceBoot
from services.ntp.policy import STALE_NS
from services.ntp.shared_state import MAX_WORKERS, SharedState, TimingView

PUBLISH_S = 0.02
LIVE_SETTINGS = ("rules", "allow", "ratelimit", "auth_failure", "trusted_keys")
"""What the workers take between requests: changing these never restarts NTP."""
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 3.0
# A dead worker is replaced at once; one that keeps dying waits longer each time, while the
# others go on serving the port.
RESPAWN = Backoff(initial=0.05, maximum=30.0, stable_after=30.0)


class NtpService:
    name = "ntp"

    def __init__(
        self,
        config: NtpSection,
        keys_file: Path,
        timing: TimingView,
        host_now: Callable[[], int],
        to_served: Callable[[int], int],
        events: EventBus,
        since_boot: SinceBoot | None = None,
    ) -> None:
        self.config = config
        self.keys_file = keys_file
        self.timing = timing
        self.host_now = host_now
        self.to_served = to_served
        self.events = events
        self.since_boot = since_boot or SinceBoot()
        self.count = min(MAX_WORKERS, config.workers or os.cpu_count() or 1)
        self.shared: SharedState | None = None
        self.workers: list[asyncio.subprocess.Process] = []
        self.worker_restarts = 0
        self.packet_path = ""
        """How the workers answer: "native" (services/ntp/_fastpath.c) or "python"."""
        self.tasks = ServiceTasks()
        self.started_ns = 0
        """CLOCK_MONOTONIC when the service last started: its uptime (ntpEntStatusEntityUptime)
        counts from there, across worker replacements but not across a restart."""

    async def start(self) -> None:
        self.started_ns = time.monotonic_ns()
        self.shared = SharedState.create()
        self.publish()
        for index in range(self.count):
            self.workers.append(await self._spawn(index))
        self.tasks.spawn(self._publish_forever(), "ntp publisher")
        for index in range(self.count):
            self.tasks.spawn(self._keep(index), f"ntp worker {index}")

    async def _spawn(self, index: int) -> asyncio.subprocess.Process:
        """Start worker `index` and wait until its sockets are bound; the process is killed
        if it does not say it is ready."""
        assert self.shared is not None
        settings = {
            "config": self.config.model_dump(mode="json"),
            "keys_file": str(self.keys_file),
            "shared": str(self.shared.path),
            "index": index,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.ntp.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(settings).encode() + b"\n")
            await process.stdin.drain()
            line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT_S)
        except TimeoutError:
            line = b"error worker did not start in time"
        except (ConnectionError, asyncio.CancelledError):
            await _end(process)
            raise
        answer = line.decode(errors="replace").strip()
        if not answer.startswith("ready "):
            await _end(process)
            raise StartError(answer.removeprefix("error ") or "worker exited at start")
        self.packet_path = answer.removeprefix("ready ")
        return process

    async def _keep(self, index: int) -> None:
        """Replace worker `index` whenever it dies, alone: the others keep the port served."""
        loop = asyncio.get_running_loop()
        delay = RESPAWN.initial
        while True:
            process = self.workers[index]
            began = loop.time()
            code = await process.wait()
            self._retire(index)
            if loop.time() - began >= RESPAWN.stable_after:
                delay = RESPAWN.initial
            why = f"NTP worker {index} (pid {process.pid}) exited with status {code}"
            while True:
                self._event(
                    "ntp.worker_crashed", Severity.ERROR, f"{why}; replacing it in {delay:g} s"
                )
                await asyncio.sleep(delay)
                delay = RESPAWN.next(delay)
                try:
                    self.workers[index] = await self._spawn(index)
                    break
                except (StartError, OSError) as exc:
                    why = f"NTP worker {index} could not start: {exc}"
            self.worker_restarts += 1
            pid = self.workers[index].pid
            self._event(
                "ntp.worker_replaced", Severity.NOTICE, f"NTP worker {index} replaced (pid {pid})"
            )

    def retune(self, config: NtpSection) -> bool:
        """Take `config` without a restart when only what the workers can change between
        requests differs (rules, allow-list, rate limit but its table size, the bad-MAC
        answer, trusted keys); False when the pool must be restarted."""
        if self.shared is None:
            return False
        old, new = self.config.model_dump(mode="json"), config.model_dump(mode="json")
        live = {name: new[name] for name in LIVE_SETTINGS}
        same = {name: value for name, value in new.items() if name not in LIVE_SETTINGS}
        if same != {name: old[name] for name in same}:
            return False
        if old["ratelimit"]["clients"] != new["ratelimit"]["clients"]:
            return False  # the client table is sized when a worker starts
        if not self.shared.write_settings(live):
            return False
        self.config = config
        return True

    def _retire(self, index: int) -> None:
        """Keep what a worker that is gone counted; its slot starts again from zero."""
        assert self.shared is not None
        self.since_boot.carry(self.shared.worker_counters(index))
        self.shared.write_counters(index, dict.fromkeys(COUNTERS, 0), 0)

    def _event(self, kind: str, severity: Severity, message: str) -> None:
        self.events.emit(kind, severity, message, {"service": "ntp"})

    def publish(self) -> None:
        assert self.shared is not None
        host = self.host_now()
        state = self.timing.sync_state(host)
        reference = self.to_served(state.last_pps_ns) if state.last_pps_ns else 0
        # CLOCK_MONOTONIC, not the injected clock: workers compare it with their own reading.
        self.shared.publish(self.timing, host, reference, time.monotonic_ns())

    async def _publish_forever(self) -> None:
        while True:
            await asyncio.sleep(PUBLISH_S)
            self.publish()

    async def wait(self) -> None:
        await self.tasks.wait()

    async def stop(self) -> None:
        await self.tasks.cancel_all()
        for process in self.workers:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        for process in self.workers:
            await _end(process, terminated=True)
        if self.shared is not None:
            for index in range(len(self.workers)):
                self._retire(index)
        self.workers = []
        if self.shared is not None:
            self.shared.close(remove=True)
            self.shared = None

    def status(self) -> dict[str, object]:
        places = ", ".join(
            f"[{a}]:{self.config.port}" if ":" in a else f"{a}:{self.config.port}"
            for a in self.config.bind
        )
        if self.shared is None:
            return {"listening": places, "workers": self.count}
        served = [self.shared.worker_counters(n)["served"] for n in range(self.count)]
        pids = [process.pid for process in self.workers]
        age = self.shared.snapshot_age_ns(self.count)
        table = self.shared.client_table(self.count)
        uptime_s = round((time.monotonic_ns() - self.started_ns) / 1e9, 2)
        return {"listening": places, "workers": self.count, "worker_pids": pids,
                "uptime_s": uptime_s, "packet_path": self.packet_path,
                "worker_restarts": self.worker_restarts,
                "served_per_worker": served,
                "clients": self.shared.clients(self.count),
                "snapshot_age_ms": age // 1_000_000, "snapshot_stale": age > STALE_NS,
                **({"client_table": table} if table else {}),
                **self.since_boot.totals(self.shared.counters(self.count))}  # fmt: skip


async def _end(process: asyncio.subprocess.Process, terminated: bool = False) -> None:
    """Wait for a worker told to stop (`terminated`), killing it if it takes too long."""
    await end_child(process, STOP_TIMEOUT_S, None if terminated else signal.SIGKILL)
