"""The sim backend in real time marks the world's true UTC seconds, not the host's."""

import asyncio

from firmware.config.schema import SimGps
from firmware.timing.clock import HostClock
from sim.gps.backend import SimGpsReceiver
from sim.gps.receiver import SECOND
from sim.world import SimWorld
from tests.hal.gps.recorder import Recorder

OFFSET_NS = 2_500_000


async def test_pps_and_nmea_mark_true_seconds_of_an_offset_drifting_world() -> None:
    clock = HostClock()
    world = SimWorld(clock.now_ns(), OFFSET_NS, 5.0)
    receiver = SimGpsReceiver(SimGps(pps_jitter_ns=0), clock, world)
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
        # Stamped by the host clock at the true second: 2.5 ms (and a little drift) early.
        assert abs(world.true_ns(edge.host_ns) % SECOND - SECOND // 2) >= SECOND // 2 - 1
        assert 2_400_000 < SECOND - edge.host_ns % SECOND < 2_600_000
    for sample in recorder.samples:
        (edge,) = [e for e in recorder.edges if 0 < sample.received_ns - e.host_ns < SECOND]
        assert sample.utc_ns == round(world.true_ns(edge.host_ns) / SECOND) * SECOND


def test_truth_compares_served_time_with_the_worlds_utc() -> None:
    start = 1_800_000_000 * SECOND
    world = SimWorld(start, OFFSET_NS, 5.0)
    receiver = SimGpsReceiver(SimGps(), HostClock(), world)
    host = start + 10 * SECOND
    truth = receiver.truth(host, served_ns=host)
    assert truth == {
        "true_error_ns": -OFFSET_NS - 50_000,
        "true_utc_ns": host + OFFSET_NS + 50_000,
        "offset_ns": OFFSET_NS + 50_000,
        "frequency_ppm": 5.0,
    }
    assert receiver.truth(host, served_ns=host + OFFSET_NS + 50_123)["true_error_ns"] == 123
