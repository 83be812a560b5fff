"""The error bound of a free-running oscillator: what HOLDOVER promises clients."""

from __future__ import annotations

import math

from firmware.timing.oscillators import OscillatorSpec

RECEIVER_FLOOR_NS = 50  # a timing receiver's PPS is good to 20-50 ns
LOOP_MEMORY_S = 50.0  # about 1/KI: how far back the frequency estimate looks
SIGMAS = 4.0


def frequency_uncertainty(spec: OscillatorSpec, measured_rms: float) -> float:
    """How wrong the learned frequency may be at loss of reference (fractional)."""
    wander = spec.wander_ppm_per_sqrt_s * 1e-6 * math.sqrt(LOOP_MEMORY_S)
    return SIGMAS * (measured_rms + wander)


def holdover_bound_ns(
    spec: OscillatorSpec, seconds: float, error_at_loss_ns: float, frequency_error: float
) -> int:
    """error at loss + frequency error * t + aging * t^2 / 2 + 4 sigma of random-walk FM."""
    t = max(0.0, float(seconds))
    aging = spec.aging_ppm_per_day * 1e-6 / 86400
    wander = SIGMAS * spec.wander_ppm_per_sqrt_s * 1e-6 * t**1.5 / math.sqrt(3)
    growth = frequency_error * t + 0.5 * aging * t * t + wander
    return int(round(error_at_loss_ns + growth * 1e9))
