"""The discipline's error bound: where it last restarted and from what error, and how fast it
may grow since (the learned frequency's uncertainty, and what a gap added to it)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from firmware.timing.holdover import (
    RECEIVER_FLOOR_NS,
    NoiseEstimate,
    frequency_drift,
    frequency_uncertainty,
    holdover_bound_ns,
)
from firmware.timing.leaps import SECOND
from firmware.timing.servo import FREQUENCY_MEMORY_S, MAX_RATE, Servo
from firmware.timing.sync_state import UNKNOWN_ERROR_NS
from hal.oscillator import OscillatorSpec


@dataclass
class ErrorBound:
    spec: OscillatorSpec
    measured_host: int | None = None
    """Host time of the last measurement: the error bound grows from there."""
    error_at_measure_ns: float = 0.0
    frequency_error: float = 0.0
    """Fractional: how wrong the learned frequency may be (bounds the error's growth)."""
    frequency_doubt: float = 0.0
    """What the frequency may have wandered during a gap, until measurements wear it down."""
    noise: NoiseEstimate = field(default_factory=NoiseEstimate)

    def since_measured(self, host_ns: int) -> int:
        return host_ns - (self.measured_host or host_ns)

    def after_gap(self, gap_ns: int) -> None:
        """Back after a gap or a jump: the frequency may have wandered all the while, and
        the receiver may not be as quiet as it was."""
        gap = max(0, gap_ns) / SECOND
        self.frequency_doubt += frequency_drift(self.spec, gap)
        self.noise.doubt()

    def learn(self, residual: float, weight: float, learning: bool) -> None:
        """A residual of the servo's prediction, which it weighed in with `weight`."""
        self.frequency_doubt *= 1 - weight
        if not learning:  # the first residual after a step is the old frequency's error
            self.noise.add(residual)

    def restart(self, servo: Servo, host_ns: int, offset_now: float) -> None:
        """After a measurement at `host_ns`, with `offset_now` still to correct."""
        self.frequency_error = self._frequency_uncertainty(servo)
        # The bound restarts when the correction takes effect, from the offset carried
        # forward to then with the new frequency, as uncertain as that frequency.
        self.measured_host = servo.base_host
        carried = self.frequency_error * (servo.base_host - host_ns)
        self.error_at_measure_ns = (
            abs(offset_now) + carried + 3 * self.noise_ns() + RECEIVER_FLOOR_NS
        )

    def stepped(self, host_ns: int) -> None:
        """Served time was set at `host_ns`: only the noise bounds it, and the frequency is
        to be learned again."""
        self.noise.doubt()
        self.measured_host = host_ns
        self.error_at_measure_ns = 3 * self.noise_ns() + RECEIVER_FLOOR_NS
        self.frequency_error = MAX_RATE
        self.frequency_doubt = 0.0

    def noise_ns(self) -> float:
        """RMS noise of one offset: residuals are differences of two, hence the sqrt(2)."""
        return math.sqrt(self.noise.variance / 2)

    def _frequency_uncertainty(self, servo: Servo) -> float:
        if servo.learning:
            return MAX_RATE
        averaged = max(1 / servo.samples, 1 / (2 * FREQUENCY_MEMORY_S - 1))
        measured_rms = math.sqrt(self.noise.variance * averaged) / SECOND
        return frequency_uncertainty(self.spec, measured_rms) + self.frequency_doubt

    def est_error_ns(self, host_ns: int) -> int:
        """A bound on |served - true UTC|: the error at the last measurement, grown since by
        the frequency uncertainty and the oscillator's aging and wander (holdover.py)."""
        if self.measured_host is None:
            return UNKNOWN_ERROR_NS  # the host clock's, which nothing has measured
        seconds = (host_ns - self.measured_host) / SECOND
        return holdover_bound_ns(self.spec, seconds, self.error_at_measure_ns, self.frequency_error)
