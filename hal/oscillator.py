"""Figures of the local oscillators a time server is built with; holdover bounds use them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OscillatorSpec:
    name: str
    initial_ppm: float
    """Typical frequency offset when first powered, before any discipline."""
    aging_ppm_per_day: float
    wander_ppm_per_sqrt_s: float
    """Random walk of frequency: the rms frequency change after t seconds is this * sqrt(t)."""


PRESETS = {
    # Temperature-compensated crystal: +-2 ppm, ~1 ppm/year aging, ~0.05 ppm/hour wander.
    "tcxo": OscillatorSpec("tcxo", 2.0, 3e-3, 8e-4),
    # Oven-controlled crystal: +-50 ppb, 0.5 ppb/day aging, ~1 ppb/hour wander.
    "ocxo": OscillatorSpec("ocxo", 0.05, 5e-4, 1.7e-5),
    # Rubidium: 5e-11, 5e-11/month aging, ~1e-11/hour wander.
    "rubidium": OscillatorSpec("rubidium", 5e-5, 1.7e-6, 1.7e-7),
}
