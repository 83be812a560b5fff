"""The error bound of a free-running oscillator, and the noise estimate it starts from."""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware.timing.servo import FREQUENCY_MEMORY_S
from hal.oscillator import OscillatorSpec

RECEIVER_FLOOR_NS = 50  # a timing receiver's PPS is good to 20-50 ns
SIGMAS = 4.0
NOISE_PRIOR_NS = 10_000.0
"""Residual noise assumed until measured (at start, after a gap or a jump): a bound must not
start out optimistic, and below the 15 us unit of NTP's root dispersion it costs nothing."""
NOISE_PRIOR_WEIGHT = 2
NOISE_AVERAGING = 0.05


@dataclass
class NoiseEstimate:
    """Mean square of the residuals (offset minus prediction): the measurement noise."""

    variance: float = NOISE_PRIOR_NS**2
    count: int = 0

    def doubt(self) -> None:
        """Measure again, as from the start: the noise may not be what it was."""
        self.variance = max(self.variance, NOISE_PRIOR_NS**2)
        self.count = 0

    def add(self, residual_ns: float) -> None:
        self.count += 1
        weight = max(1 / (self.count + NOISE_PRIOR_WEIGHT), NOISE_AVERAGING)
        self.variance += weight * (residual_ns * residual_ns - self.variance)


def frequency_uncertainty(spec: OscillatorSpec, measured_rms: float) -> float:
    """How wrong the learned frequency may be (fractional), from the rms error of its
    average and the wander within the time it averages over."""
    wander = spec.wander_ppm_per_sqrt_s * 1e-6 * math.sqrt(FREQUENCY_MEMORY_S)
    return SIGMAS * (measured_rms + wander)


def frequency_drift(spec: OscillatorSpec, seconds: float) -> float:
    """How far the frequency may move in `seconds` unmeasured: aging and 4 sigma of wander."""
    t = max(0.0, seconds)
    aging = spec.aging_ppm_per_day * 1e-6 / 86400
    return aging * t + SIGMAS * spec.wander_ppm_per_sqrt_s * 1e-6 * math.sqrt(t)


def holdover_bound_ns(
    spec: OscillatorSpec, seconds: float, error_at_loss_ns: float, frequency_error: float
) -> int:
    """error at loss + frequency error * t + aging * t^2 / 2 + 4 sigma of random-walk FM,
    rounded up."""
    t = max(0.0, float(seconds))
    aging = spec.aging_ppm_per_day * 1e-6 / 86400
    wander = SIGMAS * spec.wander_ppm_per_sqrt_s * 1e-6 * t * math.sqrt(t / 3)
    growth = frequency_error * t + 0.5 * aging * t * t + wander
    return math.ceil(error_at_loss_ns + growth * 1e9)
