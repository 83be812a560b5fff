"""A local oscillator model: phase and frequency offset, aging and random-walk wander, with
the figures of firmware/timing/oscillators.py (the ones the holdover bound assumes)."""

from __future__ import annotations

import math
import random

from hal.clock import Clock
from hal.oscillator import PRESETS, OscillatorSpec

__all__ = ["PRESETS", "Oscillator", "OscillatorClock", "OscillatorSpec"]

SECONDS_PER_DAY = 86400.0


class Oscillator:
    """Maps true time to the time this oscillator counts; query times must not go back."""

    def __init__(
        self,
        spec: OscillatorSpec,
        start_true_ns: int,
        phase_ns: float = 0.0,
        frequency_ppm: float | None = None,
        seed: int | None = None,
    ) -> None:
        self.spec = spec
        self.rng = random.Random(seed)
        self.true_ns = start_true_ns
        self.offset_ns = phase_ns  # local minus true; kept small so floats stay exact enough
        self.frequency_ppm = spec.initial_ppm if frequency_ppm is None else frequency_ppm

    def local_at(self, true_ns: int) -> int:
        """The oscillator's count at true time `true_ns`."""
        if true_ns < self.true_ns:
            raise ValueError("an oscillator is read forward in time only")
        elapsed_s = (true_ns - self.true_ns) / 1e9
        if elapsed_s > 0:
            before = self.frequency_ppm
            self.frequency_ppm += self.spec.aging_ppm_per_day * elapsed_s / SECONDS_PER_DAY
            sigma = self.spec.wander_ppm_per_sqrt_s * math.sqrt(elapsed_s)
            self.frequency_ppm += self.rng.gauss(0.0, sigma)
            mean_ppm = (before + self.frequency_ppm) / 2
            self.offset_ns += (true_ns - self.true_ns) * mean_ppm * 1e-6
            self.true_ns = true_ns
        return true_ns + round(self.offset_ns)

    def error_ns(self, true_ns: int) -> int:
        return self.local_at(true_ns) - true_ns


class OscillatorClock:
    """A Clock that reads true time through an oscillator: the simulated host clock."""

    def __init__(self, true_clock: Clock, oscillator: Oscillator) -> None:
        self.true_clock = true_clock
        self.oscillator = oscillator

    def now_ns(self) -> int:
        return self.oscillator.local_at(self.true_clock.now_ns())
