"""The sim backend in real time marks the world's true UTC seconds, not the host's."""

import asyncio
import datetime

from hal.clock import HostClock
from sim.clock import SteppedClock
from sim.gps.backend import SimGpsReceiver
from sim.gps.receiver import SECOND, ReceiverSettings
from sim.world import SimWorld
from tests.hal.gps.recorder import Recorder

OFFSET_NS = 2_500_000
MONTH_END = int(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()) * SECOND


async def test_pps_and_nmea_mark_true_seconds_of_an_offset_drifting_world() -> None:
    clock = HostClock()
    # Far enough ahead that marking host seconds instead would show in every stamp.
    world = SimWorld(clock.now_ns(), 300_000_000, 5.0)
    receiver = SimGpsReceiver(ReceiverSettings(pps_jitter_ns=0), clock, world=world)
    recorder = Recorder()
    await receiver.start(recorder)
    try:
        for _ in range(200):
            if len(recorder.samples) >= 3 and len(recorder.edges) >= 3:
                break
            await asyncio.sleep(0.05)
    finally:
        await receiver.stop()
    assert len(recorder.edges) >= 3
    for edge in recorder.edges:
        # Stamped by the host clock at the true second: 300 ms (and a little drift) early.
        assert abs(world.true_ns(edge.host_ns) % SECOND - SECOND // 2) >= SECOND // 2 - 1
        assert 299_900_000 < SECOND - edge.host_ns % SECOND < 300_100_000
    for sample in recorder.samples:
        (edge,) = [e for e in recorder.edges if 0 < sample.received_ns - e.host_ns < SECOND]
        assert sample.utc_ns == round(world.true_ns(edge.host_ns) / SECOND) * SECOND
        # The sentences follow their true second closely, as a real receiver's do.
        assert sample.received_ns - edge.host_ns < 200_000_000


def test_truth_compares_served_time_with_the_worlds_utc() -> None:
    start = MONTH_END - 10 * SECOND
    world = SimWorld(start, OFFSET_NS, 5.0)
    receiver = SimGpsReceiver(ReceiverSettings(), SteppedClock(start), world=world)
    host = start + 10 * SECOND
    truth = receiver.truth(host, served_ns=host)
    assert truth == {
        "true_error_ns": -OFFSET_NS - 50_000,
        "true_utc_ns": host + OFFSET_NS + 50_000,
        "offset_ns": OFFSET_NS + 50_000,
        "frequency_ppm": 5.0,
    }
    assert receiver.truth(host, served_ns=host + OFFSET_NS + 50_123)["true_error_ns"] == 123


def test_truth_in_an_inserted_second_is_00_00_00_held() -> None:
    start = MONTH_END - 10 * SECOND
    world = SimWorld(start, OFFSET_NS)
    receiver = SimGpsReceiver(
        ReceiverSettings(scenario="leap_insert"), SteppedClock(start), world=world
    )
    inside = world.host_ns(MONTH_END + SECOND // 2)
    assert receiver.truth(inside, served_ns=MONTH_END)["true_error_ns"] == 0
    after = world.host_ns(MONTH_END + 3 * SECOND)
    assert receiver.truth(after, served_ns=MONTH_END + 2 * SECOND)["true_error_ns"] == 0
