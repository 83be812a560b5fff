"""An NTP worker process: a tight blocking loop that answers requests on its own sockets,
stamped with the served clock the appliance publishes in shared memory.

Started by services/ntp/service.py as `python -m services.ntp.worker`; reads its settings as
one JSON line on stdin, answers "ready" or "error ..." on stdout once its sockets are bound.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from firmware.base.config.schema import NtpSection
from services.ntp import fast
from services.ntp.engine import Engine, finish, finish_time
from services.ntp.fast import open_fast_path
from services.ntp.housekeeping import Housekeeping
from services.ntp.keyring import KeyRing
from services.ntp.keys import KeysFileError
from services.ntp.packet import Mode
from services.ntp.policy import compile_config
from services.ntp.shared_state import SharedState
from services.ntp.sockets import open_sockets, receive_stamp
from services.ntp.variables import system_values
from services.ntp.worker_clock import WorkerClock

BATCH = 64
BUFFER = 2048
"""Bytes read per datagram, as the fast path reads them: longer requests are malformed."""
CLOCK_REFRESH_NS = 10_000_000
POLL_MS = 10
STATE_REFRESH_NS = 100_000_000


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
        policy = compile_config(config, keys.usable())
        self.fast = open_fast_path(policy, sockets) if fast.available() else None
        self.engine = Engine(policy, self.variables, self.fast)
        self.upkeep = Housekeeping(self.clock, self.engine, self.fast, keys, shared, index, config)
        self.parent = os.getppid()
        self.by_fd = {sock.fileno(): sock for sock in sockets}
        self.poller = select.poll()
        for fd in self.by_fd:
            self.poller.register(fd, select.POLLIN)

    def variables(self) -> dict[str, str]:
        return system_values(self.clock, self.engine.stale)

    def housekeeping(self, host_ns: int) -> None:
        self.upkeep.run(host_ns)

    def answer(self, sock: socket.socket, data: bytes, peer: Any, host_ns: int | None) -> None:
        """Answers one request the kernel stamped at host time `host_ns` (None: unstamped,
        taken as now); the rate limit counts host time, the reply served time."""
        if host_ns:
            receive = self.clock.to_served(host_ns)
        else:
            host_ns, receive = time.time_ns(), self.clock.now_ns()
        reply = self.engine.handle(data, peer[0], receive, host_ns)
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
        if now - self.upkeep.updated_at > STATE_REFRESH_NS:
            if os.getppid() != self.parent:
                return False
            self.upkeep.run(now)
        elif now - self.clock.read_at > CLOCK_REFRESH_NS:
            self.upkeep.refresh(now)
        return True

    def serve(self) -> None:
        while True:
            self.serve_once(POLL_MS)
            if not self.between_requests():
                return

    def serve_once(self, timeout_ms: int) -> None:
        """What arrives within `timeout_ms`, answered: the common requests in C when the fast
        path is built, which hands Python the rest with their kernel receive stamps."""
        if self.fast is None:
            for fd, _ in self.poller.poll(timeout_ms):
                self.drain(self.by_fd[fd])
            return
        for index, data, peer, host_ns in self.fast.serve(timeout_ms):
            self.answer(self.sockets[index], data, peer, host_ns)

    def drain(self, sock: socket.socket) -> None:
        """Up to a batch of what waits on `sock`. A datagram longer than the buffer is counted
        malformed and dropped: its first bytes are not the request that was sent."""
        for _ in range(BATCH):
            try:
                data, ancillary, flags, peer = sock.recvmsg(BUFFER, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            if flags & socket.MSG_TRUNC:
                self.engine.counters["malformed"] += 1
                self.engine.counters["client_requests"] += (data[0] & 7) == Mode.CLIENT
                continue
            self.answer(sock, data, peer, receive_stamp(ancillary))


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
