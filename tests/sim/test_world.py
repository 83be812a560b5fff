"""The simulated world's true UTC against the host clock, on a stepped clock, from tables."""

import statistics

import pytest

from sim.clock import SteppedClock
from sim.oscillator import PRESETS
from sim.world import SimWorld

START = 1_800_000_000 * 10**9
SECOND = 10**9

# (offset at start ns, ppm, seconds later, true minus host then ns)
DRIFT = [
    (0, 0.0, 3600, 0),
    (2_500_000, 0.0, 100, 2_500_000),
    (0, 5.0, 10, 50_000),
    (-1_000_000, -20.0, 600, -13_000_000),
    (2_500_000, 5.0, 3600, 20_500_000),
    (10**12, 100.0, 1, 10**12 + 100_000),
]


@pytest.mark.parametrize(("offset", "ppm", "seconds", "expected"), DRIFT)
def test_offset_starts_as_configured_and_grows_at_the_frequency(
    offset: int, ppm: float, seconds: int, expected: int
) -> None:
    clock = SteppedClock(START)
    world = SimWorld(clock.now_ns(), offset, ppm)
    assert world.true_ns(clock.now_ns()) - clock.now_ns() == offset
    for _ in range(4):
        clock.step(seconds / 4)
        world.true_ns(clock.now_ns())
    assert world.true_ns(clock.now_ns()) - clock.now_ns() == expected
    assert world.frequency_ppm == ppm


@pytest.mark.parametrize(("offset", "ppm", "seconds", "expected"), DRIFT)
def test_host_time_of_a_true_instant_inverts_the_mapping(
    offset: int, ppm: float, seconds: int, expected: int
) -> None:
    world = SimWorld(START, offset, ppm, PRESETS["tcxo"].wander_ppm_per_sqrt_s, seed=7)
    hosts = [START + n * seconds * SECOND // 8 for n in range(9)]
    trues = [world.true_ns(host) for host in hosts]
    assert [world.host_ns(true) for true in trues] == pytest.approx(hosts, abs=1)
    # A true second not yet reached is predicted from the newest segment.
    later = trues[-1] + SECOND
    assert world.true_ns(world.host_ns(later)) == pytest.approx(later, abs=1)


def test_older_queries_lie_on_the_one_path_every_caller_sees() -> None:
    world = SimWorld(START, 2_500_000, 5.0, 1e-3, seed=3)
    first = {n: world.true_ns(START + n * SECOND) for n in range(0, 21, 2)}
    # Late callers: odd seconds, asked after the walk went past them, interpolate.
    for n in range(1, 20, 2):
        before, after = first[n - 1], first[n + 1]
        assert world.true_ns(START + n * SECOND) == pytest.approx((before + after) / 2, abs=1)
    assert {n: world.true_ns(START + n * SECOND) for n in first} == first
    hosts = sorted(START + n * SECOND // 3 for n in range(60))
    trues = [world.true_ns(host) for host in reversed(hosts)][::-1]
    assert trues == sorted(trues) and len(set(trues)) == len(trues)


def test_without_offset_drift_or_wander_true_utc_is_the_host_clock() -> None:
    world = SimWorld(START)
    for host in (START, START + 123_456_789, START + 86400 * SECOND, START + 5):
        assert world.true_ns(host) == host and world.host_ns(host) == host


def test_wander_is_the_presets_random_walk_and_the_seed_repeats_it() -> None:
    hour = 3600 * SECOND
    spec = PRESETS["tcxo"]

    def drift(seed: int) -> float:
        world = SimWorld(START, 0, 1.0, spec.wander_ppm_per_sqrt_s, seed)
        for minute in range(1, 61):
            world.true_ns(START + minute * hour // 60)
        return world.frequency_ppm - 1.0

    drifts = [drift(seed) for seed in range(200)]
    assert statistics.pstdev(drifts) == pytest.approx(spec.wander_ppm_per_sqrt_s * 60, rel=0.2)
    assert drift(5) == drift(5) and drift(5) != drift(6)
