"""An NTP worker process: its own sockets on the shared port (SO_REUSEPORT), a tight blocking
loop with kernel receive timestamps, the served clock read from shared memory.

Started by services/ntp/service.py as `python -m services.ntp.worker`; reads its settings as
one JSON line on stdin, answers "ready" or "error ..." on stdout once its sockets are bound.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import select
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware import __version__
from firmware.base.config.schema import NtpSection
from firmware.timing.leaps import LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import SyncState
from services.ntp import fast
from services.ntp.control import milliseconds
from services.ntp.engine import PRECISION, Engine, finish, finish_time, stale_state
from services.ntp.fast import clock_settings, key_settings, open_fast_path, template_settings
from services.ntp.keyring import KeyRing
from services.ntp.keys import KeysFileError
from services.ntp.packet import ns_to_ntp
from services.ntp.shared_state import SharedState

if TYPE_CHECKING:
    from services.ntp._fastpath import FastPath

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("@qq")
BATCH = 64
CLOCK_REFRESH_NS = 10_000_000
POLL_MS = 10
STATE_REFRESH_NS = 100_000_000


class WorkerClock:
    """Served time from the appliance's published mapping, which the loop refreshes every
    10 ms between requests (the mapping only changes rate, by parts per billion)."""

    def __init__(self, shared: SharedState) -> None:
        self.shared = shared
        self.servo = Servo()
        self.leaps = LeapSchedule()
        self.trusted = False
        self.sync: SyncState | None = None
        self.reference = 0
        self.published = 0
        self.read_at = 0
        self.last = 0

    def refresh(self, host_ns: int) -> None:
        """The latest snapshot; the one in hand if the appliance stopped in mid-write, which
        then grows old and stale like any other."""
        self.read_at = host_ns
        snapshot = self.shared.snapshot()
        if snapshot is None:
            return
        self.servo, self.leaps, self.trusted = snapshot.servo, snapshot.leaps, snapshot.trusted
        self.sync, self.reference = snapshot.sync, snapshot.reference_ns
        self.published = snapshot.published_ns

    def to_served(self, host_ns: int) -> int:
        if not self.servo.started:
            return host_ns
        served = self.servo.served(host_ns)
        return self.leaps.to_utc(served) if self.leaps.events else served

    def now_ns(self) -> int:
        value = self.to_served(time.time_ns())
        if value <= self.last and self.trusted:
            value = self.last + 1
        self.last = value
        return value


def open_sockets(config: NtpSection) -> list[socket.socket]:
    sockets = []
    for address in config.bind:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sockets.append(sock)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:
            sock.bind((address, config.port))
        except OSError as exc:
            for opened in sockets:
                opened.close()
            where = f"[{address}]" if family == socket.AF_INET6 else address
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise OSError(f"cannot listen on {where}:{config.port}/udp: {reason}") from exc
        sock.setblocking(False)
    return sockets


class Worker:
    def __init__(
        self, config: NtpSection, keys: KeyRing, shared: SharedState, index: int,
        sockets: list[socket.socket],
    ) -> None:  # fmt: skip
        self.config = config
        self.keys = keys
        self.shared = shared
        self.index = index
        self.sockets = sockets
        self.clock = WorkerClock(shared)
        self.fast = open_fast_path(config, sockets) if fast.available() else None
        self.engine = Engine(config, keys.lookup, self.variables, self.fast)
        self.updated_at = 0
        self.snapshot_age = 0
        self.parent = os.getppid()
        self.push_keys()

    def variables(self) -> dict[str, str]:
        sync = self.clock.sync
        assert sync is not None
        stale = self.engine.stale
        if stale:
            sync = stale_state(sync)
        reference = self.clock.to_served(self.clock.reference) if self.clock.reference else 0
        return {
            "version": f'"timeserver {__version__}"',
            "processor": f'"{platform.machine()}"',
            "system": f'"{platform.system()}"',
            "leap": f"{int(sync.leap):02b}",
            "stratum": str(sync.stratum),
            "precision": str(PRECISION),
            "rootdelay": "0.000",
            "rootdisp": milliseconds(sync.root_dispersion_ns),
            "refid": sync.refid,
            "reftime": _hex_stamp(ns_to_ntp(reference)),
            "clock": _hex_stamp(ns_to_ntp(self.clock.now_ns())),
            "frequency": f"{sync.frequency_ppm:.3f}",
            "sys_jitter": f"{sync.est_error_ns / 1e6:.6f}",
            "sync_state": '"STALE"' if stale else f'"{sync.state.value}"',
        }

    def refresh(self, host_ns: int) -> None:
        """Every 10 ms: the served clock and the sync state for the reply template."""
        clock = self.clock
        clock.refresh(host_ns)
        assert clock.sync is not None
        reference = clock.to_served(clock.reference) if clock.reference else 0
        self.snapshot_age = time.monotonic_ns() - clock.published
        self.engine.update(clock.sync, reference, self.snapshot_age)
        if self.fast is not None:
            self.fast.set_template(*template_settings(self.engine, clock.published))
            self.fast.set_clock(*clock_settings(clock.servo, clock.leaps, clock.trusted, host_ns))

    def push_keys(self) -> None:
        """The fast path signs with the trusted keys; the engine looks them up itself."""
        if self.fast is not None:
            self.fast.set_keys(key_settings(self.keys.usable()))

    def housekeeping(self, host_ns: int) -> None:
        """Ten times a second: the keys file if it changed, counters and clients out."""
        self.refresh(host_ns)
        with contextlib.suppress(KeysFileError, OSError):
            if self.keys.reload():
                self.push_keys()
        counters = self.engine.counters
        if self.fast is not None:
            counters = dict(counters)
            for name, value in self.fast.counters().items():
                counters[name] += value
        self.shared.write_counters(self.index, counters, self.snapshot_age)
        self.shared.write_clients(self.index, self.engine.clients.recent(32))
        self.updated_at = host_ns

    def answer(self, sock: socket.socket, data: bytes, peer: Any, receive: int) -> None:
        reply = self.engine.handle(data, peer[0], receive)
        if reply is None:
            return
        try:
            if reply.header is not None:
                sock.sendto(finish_time(reply, self.clock.now_ns()), peer)
            else:
                for packet in finish(reply, 0):
                    sock.sendto(packet, peer)
        except OSError:
            pass

    def between_requests(self) -> bool:
        """Housekeeping, once the requests in hand are answered, so that it never sits
        between a request's receive and transmit timestamps. False: the appliance is gone."""
        now = time.time_ns()
        if now - self.updated_at > STATE_REFRESH_NS:
            if os.getppid() != self.parent:
                return False
            self.housekeeping(now)
        elif now - self.clock.read_at > CLOCK_REFRESH_NS:
            self.refresh(now)
        return True

    def serve(self) -> None:
        if self.fast is not None:
            self.serve_fast(self.fast)
            return
        poller = select.poll()
        by_fd = {sock.fileno(): sock for sock in self.sockets}
        for fd in by_fd:
            poller.register(fd, select.POLLIN)
        clock = self.clock
        while True:
            for fd, _ in poller.poll(POLL_MS):
                sock = by_fd[fd]
                for _ in range(BATCH):
                    try:
                        data, ancillary, _flags, peer = sock.recvmsg(2048, 64)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        continue
                    if ancillary and ancillary[0][1] == SO_TIMESTAMPNS:
                        seconds, nanoseconds = TIMESPEC.unpack_from(ancillary[0][2])
                        receive = clock.to_served(seconds * 1_000_000_000 + nanoseconds)
                    else:
                        receive = clock.now_ns()
                    self.answer(sock, data, peer, receive)
            if not self.between_requests():
                return

    def serve_fast(self, fast_path: FastPath) -> None:
        """The common requests are answered in C; Python gets the rest with their times."""
        clock, sockets = self.clock, self.sockets
        while True:
            for index, data, peer, host_ns in fast_path.serve(POLL_MS):
                receive = clock.to_served(host_ns) if host_ns else clock.now_ns()
                self.answer(sockets[index], data, peer, receive)
            if not self.between_requests():
                return


def _hex_stamp(timestamp: int) -> str:
    return f"0x{timestamp >> 32:08x}.{timestamp & 0xFFFFFFFF:08x}"


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the appliance, which stops us
    settings = json.loads(sys.stdin.readline())
    config = NtpSection.model_validate(settings["config"])
    shared = SharedState(Path(settings["shared"]), create=False)
    try:
        keys = KeyRing(Path(settings["keys_file"]), config.trusted_keys)
        sockets = open_sockets(config)
    except (OSError, KeysFileError) as exc:
        print(f"error {exc}", flush=True)
        return 1
    worker = Worker(config, keys, shared, int(settings["index"]), sockets)
    worker.housekeeping(time.time_ns())
    # The packet path makes no reference cycles: no collector pauses in the hold time.
    gc.freeze()
    gc.disable()
    print("ready", "python" if worker.fast is None else "native", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
