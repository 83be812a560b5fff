"""The oscillator model drifts as its figures say, on a stepped clock."""

import statistics

import pytest

from sim.clock import SteppedClock
from sim.oscillator import PRESETS, Oscillator, OscillatorClock, OscillatorSpec

START = 1_800_000_000 * 10**9
STILL = OscillatorSpec("still", 0.0, 0.0, 0.0)


def test_frequency_offset_and_phase_accumulate() -> None:
    oscillator = Oscillator(STILL, START, phase_ns=1_000_000, frequency_ppm=20.0)
    assert oscillator.error_ns(START) == 1_000_000
    assert oscillator.error_ns(START + 600 * 10**9) == 1_000_000 + 12_000_000


def test_aging_adds_a_quadratic_phase() -> None:
    spec = OscillatorSpec("aging", 0.0, 1.0, 0.0)
    oscillator = Oscillator(spec, START, frequency_ppm=0.0)
    day = 86400 * 10**9
    # f(t) = t/day ppm, so phase after one day = 0.5 ppm * day = 43.2 ms.
    for hour in range(1, 25):
        oscillator.local_at(START + hour * day // 24)
    assert oscillator.frequency_ppm == pytest.approx(1.0)
    assert oscillator.error_ns(START + day) == pytest.approx(43_200_000, rel=0.01)


def test_wander_grows_with_the_square_root_of_time() -> None:
    hour = 3600 * 10**9
    drifts = []
    for seed in range(200):
        oscillator = Oscillator(PRESETS["tcxo"], START, frequency_ppm=0.0, seed=seed)
        for minute in range(1, 61):
            oscillator.local_at(START + minute * hour // 60)
        drifts.append(oscillator.frequency_ppm - PRESETS["tcxo"].aging_ppm_per_day / 24)
    assert statistics.pstdev(drifts) == pytest.approx(8e-4 * 60, rel=0.2)


def test_presets_are_ordered_by_quality() -> None:
    tcxo, ocxo, rubidium = PRESETS["tcxo"], PRESETS["ocxo"], PRESETS["rubidium"]
    assert tcxo.wander_ppm_per_sqrt_s > ocxo.wander_ppm_per_sqrt_s > rubidium.wander_ppm_per_sqrt_s
    assert tcxo.aging_ppm_per_day > ocxo.aging_ppm_per_day > rubidium.aging_ppm_per_day


def test_oscillator_clock_reads_through_the_model() -> None:
    true = SteppedClock(START)
    clock = OscillatorClock(true, Oscillator(STILL, START, frequency_ppm=-10.0))
    true.step(100)
    assert clock.now_ns() == START + 100 * 10**9 - 1_000_000
    with pytest.raises(ValueError):
        clock.oscillator.local_at(START)
