"""A worker in this process: what the appliance publishes reaches both packet paths, and a
snapshot the appliance stopped renewing turns the replies into alarms, and back."""

from __future__ import annotations

import socket
import struct
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from firmware.base.config import SERVICE_NAMES, parse_config
from firmware.timing.leaps import LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import Leap, State, SyncState, make_state
from services.ntp.keyring import KeyRing
from services.ntp.packet import SECOND
from services.ntp.policy import STALE_NS
from services.ntp.shared_state import SEQUENCE, SharedState
from services.ntp.sockets import SO_TIMESTAMPNS
from services.ntp.worker import Worker
from tests.services.ntp.captures import CHRONY_KEYS, CHRONY_PLAIN
from tests.services.ntp.ntp_codec import decode_packet


@dataclass
class Timing:
    """What the appliance publishes from, held still."""

    sync: SyncState
    servo: Servo = field(default_factory=Servo)
    leaps: LeapSchedule = field(default_factory=LeapSchedule)

    def trusted(self) -> bool:
        return True

    def sync_state(self, host_ns: int) -> SyncState:
        return self.sync


LOCKED = make_state(State.LOCKED, 250, Leap.NONE, Leap.NONE, 0.0, 0.0, None, 9)


@pytest.fixture(params=["native", "python"])
def worker(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Worker]:
    monkeypatch.setenv("TIMESERVER_NTP_FASTPATH", "1" if request.param == "native" else "0")
    keys = tmp_path / "ntp.keys"
    keys.write_text(CHRONY_KEYS)
    section = parse_config({}, "t", SERVICE_NAMES).services.ntp
    shared = SharedState.create()
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    server.setblocking(False)
    made = Worker(section, KeyRing(keys, []), shared, 0, [server])
    if request.param == "native" and made.fast is None:
        pytest.skip("the fast path extension is not built")
    yield made
    server.close()
    shared.close(remove=True)


def publish(worker: Worker, age_ns: int, sync: SyncState = LOCKED) -> None:
    now = time.time_ns()
    worker.shared.publish(Timing(sync), now, now, time.monotonic_ns() - age_ns)
    worker.housekeeping(time.time_ns())


def ask(worker: Worker) -> bytes:
    """One plain request through the worker's own packet path."""
    if worker.fast is None:
        now = time.time_ns()
        reply = worker.engine.handle(CHRONY_PLAIN, "127.0.0.1", now, now)
        assert reply is not None and reply.header is not None
        return bytes(reply.header)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(1.0)
        client.sendto(CHRONY_PLAIN, worker.sockets[0].getsockname())
        assert worker.fast.serve(1000) == []
        return client.recv(2048)


def test_a_stale_snapshot_gets_alarms_on_this_path_until_a_fresh_one(worker: Worker) -> None:
    publish(worker, STALE_NS + SECOND)
    stale = decode_packet(ask(worker))
    assert (stale.leap, stale.stratum, stale.refid, stale.reference) == (3, 0, b"STAL", 0)
    variables = worker.variables()
    assert (variables["leap"], variables["stratum"], variables["refid"]) == ("11", "16", "STAL")
    assert variables["sync_state"] == '"STALE"'
    assert worker.shared.snapshot_age_ns(1) > STALE_NS, "status can tell"
    publish(worker, 0)
    fresh = decode_packet(ask(worker))
    assert (fresh.leap, fresh.stratum, fresh.refid) == (0, 1, b"GPS\0")
    assert worker.variables()["sync_state"] == '"LOCKED"'
    assert worker.shared.snapshot_age_ns(1) < STALE_NS
    worker.housekeeping(time.time_ns())
    assert worker.shared.counters(1)["served_stale"] == 1


def test_the_published_bound_goes_out_rounded_up(worker: Worker) -> None:
    """The bound the appliance publishes, not the estimate it came from, and never less."""
    publish(worker, 0, replace(LOCKED, root_dispersion_ns=1_000_250))
    assert worker.variables()["rootdisp"] == "1.001"
    assert decode_packet(ask(worker)).root_dispersion == 66  # 1.00025 ms is 65.55 units


def test_a_writer_stopped_mid_write_does_not_hang_the_reader(worker: Worker) -> None:
    publish(worker, 0)
    (sequence,) = SEQUENCE.unpack_from(worker.shared.memory, 0)
    SEQUENCE.pack_into(worker.shared.memory, 0, sequence + 1)  # as if stopped mid-write
    assert worker.shared.snapshot() is None
    worker.housekeeping(time.time_ns())
    assert decode_packet(ask(worker)).stratum == 1, "the last snapshot, while it is fresh"


def test_snapshot_round_trip_carries_the_publication_time() -> None:
    shared = SharedState.create()
    try:
        shared.publish(Timing(LOCKED), 5, 7, 123_456_789)
        snapshot = shared.snapshot()
        assert snapshot is not None
        assert (snapshot.published_ns, snapshot.reference_ns) == (123_456_789, 7)
        assert snapshot.sync.root_dispersion_ns == 250
        assert struct.unpack_from("=Q", shared.memory, 0)[0] % 2 == 0
    finally:
        shared.close(remove=True)


FLOOD = 20_000


def test_a_single_source_flood_gets_at_most_2_percent_kod(worker: Worker) -> None:
    """20,000 requests from one address through the worker's own packet path (default rate
    limit: 1 s, bursts of 16, one in four leaked): a KoD RATE once a second at most, a
    normal reply for the leaked ones, and silence for the rest."""
    publish(worker, 0)
    kinds: Counter[bytes] = Counter()
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.1", 0))
        client.setblocking(False)
        target = worker.sockets[0].getsockname()
        started = time.monotonic()
        while sent < FLOOD and time.monotonic() < started + 60:
            for _ in range(32):  # well inside the socket's buffer: the kernel drops none
                client.sendto(CHRONY_PLAIN, target)
            sent += 32
            worker.serve_once(0)
            while True:
                try:
                    kinds[decode_packet(client.recv(2048)).refid] += 1
                except BlockingIOError:
                    break
    seconds = time.monotonic() - started
    assert sent >= FLOOD
    assert set(kinds) <= {b"GPS\0", b"RATE"}
    assert kinds[b"RATE"] <= 0.02 * sent and kinds[b"RATE"] <= seconds + 1
    assert 0.2 < kinds[b"GPS\0"] / sent < 0.3, kinds
    counters = worker.engine.counters if worker.fast is None else worker.fast.counters()
    assert counters["kod_sent"] == kinds[b"RATE"]


def truncated_request() -> bytes:
    """4096 bytes whose first 2048, all a worker reads, are a request it would answer: the
    header and one 2000-byte extension field. Whole, its tail is no field and no MAC."""
    header = bytearray(CHRONY_PLAIN[:48])
    field = struct.pack("!HH", 0x0104, 2000) + bytes(1996)
    return bytes(header) + field + bytes(2048)


def test_a_datagram_longer_than_the_buffer_is_dropped_as_malformed(worker: Worker) -> None:
    publish(worker, 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(0.2)
        client.sendto(truncated_request()[:2048], worker.sockets[0].getsockname())
        worker.serve_once(1000)
        assert len(client.recv(2048)) == 48, "its first 2048 bytes alone are answered"
        client.sendto(truncated_request(), worker.sockets[0].getsockname())
        worker.serve_once(1000)
        with pytest.raises(TimeoutError):
            client.recv(2048)
    worker.housekeeping(time.time_ns())
    counters = worker.shared.counters(1)
    assert counters["malformed"] == 1
    assert (counters["client_requests"], counters["server_replies"]) == (2, 1)


def test_housekeeping_publishes_the_fast_paths_client_table(worker: Worker) -> None:
    """What `ntp stats` shows as the client table: one client heard from, the configured
    capacity, a chain of one; a worker without the fast path has no such table to show."""
    publish(worker, 0)
    ask(worker)
    worker.housekeeping(time.time_ns())
    table = worker.shared.client_table(1)
    if worker.fast is None:
        assert table is None
    else:
        assert table == {"clients": 1, "capacity": 100_000, "longest_chain": 1}
    assert worker.shared.counters(1)["served"] == 1 and worker.shared.snapshot_age_ns(1) >= 0
