"""Shared memory between the appliance and its NTP worker processes.

The appliance publishes the served clock (the servo's host-to-served mapping and the leap
schedule) and the sync state many times a second, stamped with CLOCK_MONOTONIC; workers read
them to stamp replies with exactly the time the appliance serves, tell from the stamp when
the appliance has stopped publishing, and write their counters back. A sequence lock keeps
readers from seeing half a write: the writer makes the sequence odd, writes, makes it even.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from firmware.timing.leaps import LeapEvent, LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import Leap, State, SyncState, make_state
from services.ntp.counters import COUNTERS

SEQUENCE = struct.Struct("=Q")
# base host, base served, rate, started, trusted, smear, frequency, slew end (0: none)
CLOCK = struct.Struct("=qqdBBBdq")
LEAP = struct.Struct("=qbq")  # utc_at, sign, continuous_at
MAX_LEAPS = 4
# state, stratum, leap, refid, dispersion, error, frequency, reference, pending, published
SYNC = struct.Struct("=BBB4sqqdqBq")
MAX_WORKERS = 64
# the counters, the snapshot's age, then the fast path's client table: clients, capacity,
# longest chain (capacity 0: a worker without the fast path, whose table is a Python dict)
WORKER = struct.Struct(f"={len(COUNTERS)}Qq3q")
AGE = len(COUNTERS)
TABLE_FIELDS = ("clients", "capacity", "longest_chain")
READ_ATTEMPTS = 1_000
"""A writer stopped mid-write (SIGSTOP) leaves the sequence odd: give up, keep the last
snapshot, and try again at the next refresh."""
CLIENT_SLOT = 4096  # per worker: a length and the JSON of its most recent clients
CLIENTS_SHOWN = 32

CLOCK_AT = SEQUENCE.size
LEAPS_AT = CLOCK_AT + CLOCK.size
COUNT_AT = LEAPS_AT + MAX_LEAPS * LEAP.size
SYNC_AT = COUNT_AT + 1
WORKERS_AT = (SYNC_AT + SYNC.size + 7) // 8 * 8
CLIENTS_AT = WORKERS_AT + MAX_WORKERS * WORKER.size
SETTINGS_AT = CLIENTS_AT + MAX_WORKERS * CLIENT_SLOT
SETTINGS = struct.Struct("=QI")  # generation (odd while being written), length
SETTINGS_SLOT = 64 * 1024
"""The NTP settings a running pool takes without a restart (rules, allow-list, rate limit,
what a bad MAC gets, trusted keys), as JSON; larger ones restart the pool instead."""
SIZE = SETTINGS_AT + SETTINGS.size + SETTINGS_SLOT
STATES = list(State)


class TimingView(Protocol):
    """What the appliance publishes from (firmware/timing's Discipline)."""

    servo: Servo
    leaps: LeapSchedule

    def trusted(self) -> bool: ...

    def sync_state(self, host_ns: int) -> SyncState: ...


@dataclass(frozen=True)
class Snapshot:
    """What a worker serves from, as the appliance last published it."""

    servo: Servo
    leaps: LeapSchedule
    trusted: bool
    sync: SyncState
    reference_ns: int
    published_ns: int
    """CLOCK_MONOTONIC when published: system-wide, so any process can tell its age."""


class SharedState:
    def __init__(self, path: Path, create: bool) -> None:
        self.path = path
        flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
        fd = os.open(path, flags, 0o600)
        try:
            if create:
                os.ftruncate(fd, SIZE)
            self.memory = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)

    @classmethod
    def create(cls) -> SharedState:
        directory = "/dev/shm" if os.path.isdir("/dev/shm") else None
        fd, name = tempfile.mkstemp(prefix="timeserver-ntp-", dir=directory)
        os.close(fd)
        os.unlink(name)
        return cls(Path(name), create=True)

    def close(self, remove: bool = False) -> None:
        self.memory.close()
        if remove:
            self.path.unlink(missing_ok=True)

    # -- the appliance writes -----------------------------------------------------------

    def publish(self, view: TimingView, host_ns: int, reference_ns: int, published_ns: int) -> None:
        servo, events = view.servo, view.leaps.events[-MAX_LEAPS:]
        sync = view.sync_state(host_ns)
        memory = self.memory
        (sequence,) = SEQUENCE.unpack_from(memory, 0)
        SEQUENCE.pack_into(memory, 0, sequence + 1)
        CLOCK.pack_into(
            memory, CLOCK_AT, servo.base_host, servo.base_served, servo.rate,
            servo.started, view.trusted(), view.leaps.smear, servo.frequency, servo.slew_end or 0,
        )  # fmt: skip
        for index, event in enumerate(events):
            LEAP.pack_into(
                memory, LEAPS_AT + index * LEAP.size,
                event.utc_at_ns, event.sign, event.continuous_at_ns,
            )  # fmt: skip
        memory[COUNT_AT] = len(events)
        SYNC.pack_into(
            memory, SYNC_AT, STATES.index(sync.state), sync.stratum, int(sync.leap),
            sync.refid.encode("ascii")[:4], sync.root_dispersion_ns, sync.est_error_ns,
            sync.frequency_ppm, reference_ns, int(sync.leap_pending), published_ns,
        )  # fmt: skip
        SEQUENCE.pack_into(memory, 0, sequence + 2)

    def worker_counters(self, index: int) -> dict[str, int]:
        values = WORKER.unpack_from(self.memory, WORKERS_AT + index * WORKER.size)
        return dict(zip(COUNTERS, values[:AGE], strict=True))

    def snapshot_age_ns(self, workers: int) -> int:
        """The oldest snapshot any worker was serving from at its last housekeeping."""
        ages = [WORKER.unpack_from(self.memory, WORKERS_AT + n * WORKER.size)[AGE]
                for n in range(workers)]  # fmt: skip
        return max(ages, default=0)

    def client_table(self, workers: int) -> dict[str, int] | None:
        """The fast path's client tables over every worker: clients and capacity added up,
        the longest hash chain of any (a long one means the hash is being defeated). None
        when no worker has the fast path."""
        tables = [WORKER.unpack_from(self.memory, WORKERS_AT + n * WORKER.size)[AGE + 1 :]
                  for n in range(workers)]  # fmt: skip
        tables = [table for table in tables if table[1] > 0]
        if not tables:
            return None
        clients, capacity, longest = zip(*tables, strict=True)
        return dict(zip(TABLE_FIELDS, (sum(clients), sum(capacity), max(longest)), strict=True))

    def counters(self, workers: int) -> dict[str, int]:
        totals = dict.fromkeys(COUNTERS, 0)
        for index in range(workers):
            for name, value in self.worker_counters(index).items():
                totals[name] += value
        return totals

    def write_settings(self, settings: dict[str, object]) -> bool:
        """Hand new live settings to the workers; False when they do not fit the slot."""
        data = json.dumps(settings).encode()
        if len(data) > SETTINGS_SLOT:
            return False
        memory = self.memory
        generation, _ = SETTINGS.unpack_from(memory, SETTINGS_AT)
        SETTINGS.pack_into(memory, SETTINGS_AT, generation + 1, 0)
        start = SETTINGS_AT + SETTINGS.size
        memory[start : start + len(data)] = data
        SETTINGS.pack_into(memory, SETTINGS_AT, generation + 2, len(data))
        return True

    # -- workers read -------------------------------------------------------------------

    def settings(self, known: int) -> tuple[int, dict[str, object]] | None:
        """(generation, settings) when newer than generation `known`; None otherwise, or
        while the appliance is writing them (the next look finds them)."""
        memory = self.memory
        before, length = SETTINGS.unpack_from(memory, SETTINGS_AT)
        if before == known or before & 1:
            return None
        start = SETTINGS_AT + SETTINGS.size
        data = bytes(memory[start : start + length])
        after, _ = SETTINGS.unpack_from(memory, SETTINGS_AT)
        if after != before:
            return None
        try:
            settings = json.loads(data)
        except ValueError:
            return None
        return (before, settings) if isinstance(settings, dict) else None

    def snapshot(self) -> Snapshot | None:
        """A consistent copy, or None when the writer never finished its write."""
        memory = self.memory
        for _ in range(READ_ATTEMPTS):
            (before,) = SEQUENCE.unpack_from(memory, 0)
            if before & 1:
                continue
            clock = CLOCK.unpack_from(memory, CLOCK_AT)
            count = memory[COUNT_AT]
            events = [
                LEAP.unpack_from(memory, LEAPS_AT + index * LEAP.size) for index in range(count)
            ]
            sync = SYNC.unpack_from(memory, SYNC_AT)
            (after,) = SEQUENCE.unpack_from(memory, 0)
            if before == after:
                return _snapshot(clock, events, sync)
        return None

    def write_clients(self, index: int, clients: list[tuple[str, int, int]]) -> None:
        data = json.dumps(clients[:CLIENTS_SHOWN]).encode()
        while len(data) > CLIENT_SLOT - 4:
            clients = clients[: len(clients) // 2]
            data = json.dumps(clients).encode()
        start = CLIENTS_AT + index * CLIENT_SLOT
        self.memory[start + 4 : start + 4 + len(data)] = data
        struct.pack_into("=I", self.memory, start, len(data))

    def clients(self, workers: int) -> list[tuple[str, int, int]]:
        """Most recent first, one row per address over every worker (the kernel spreads a
        client's source ports over them): requests added up, the latest request kept. A
        slot caught mid-write is skipped."""
        merged: dict[str, tuple[int, int]] = {}
        for index in range(workers):
            start = CLIENTS_AT + index * CLIENT_SLOT
            (length,) = struct.unpack_from("=I", self.memory, start)
            try:
                entries = json.loads(self.memory[start + 4 : start + 4 + length])
                rows = [(str(a), int(r), int(t)) for a, r, t in entries]
            except (ValueError, TypeError):
                continue
            for address, requests, last in rows:
                earlier_requests, earlier_last = merged.get(address, (0, 0))
                merged[address] = (earlier_requests + requests, max(earlier_last, last))
        found = [(address, requests, last) for address, (requests, last) in merged.items()]
        return sorted(found, key=lambda entry: -entry[2])[:CLIENTS_SHOWN]

    def write_counters(
        self, index: int, counters: dict[str, int], snapshot_age_ns: int,
        table: dict[str, int] | None = None,
    ) -> None:  # fmt: skip
        """A worker's counters, snapshot age and, with the fast path, its client table."""
        WORKER.pack_into(
            self.memory, WORKERS_AT + index * WORKER.size,
            *(counters[name] for name in COUNTERS), snapshot_age_ns,
            *(table[name] if table else 0 for name in TABLE_FIELDS),
        )  # fmt: skip


def _snapshot(
    clock: tuple[int, int, float, int, int, int, float, int],
    events: list[tuple[int, int, int]],
    sync: tuple[int, int, int, bytes, int, int, float, int, int, int],
) -> Snapshot:
    base_host, base_served, rate, started, trusted, smear, servo_frequency, slew_end = clock
    state, _, leap, _, dispersion, error, frequency, reference, pending, published = sync
    servo = Servo(base_host, base_served, rate, servo_frequency, bool(started))
    servo.slew_end = slew_end or None
    leaps = LeapSchedule(bool(smear), [LeapEvent(*event) for event in events])
    announced = make_state(STATES[state], error, Leap(leap), Leap(pending), frequency, 0.0, None, 0)
    # The bound as published, which may exceed the estimated error it is made from.
    announced = replace(announced, root_dispersion_ns=dispersion)
    return Snapshot(servo, leaps, bool(trusted), announced, reference, published)
