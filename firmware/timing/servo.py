"""The servo: a host-to-served mapping whose rate is the learned frequency plus a phase slew.

Frequency and phase are kept apart. The frequency is measured from each pair of consecutive
offsets and the rate that was in force between them, so it does not depend on how hard the
phase is being slewed: a large phase error after an outage is slewed out without being
booked as frequency (no wind-up, no swing between the rate limits). Right after a step the
first measurements are averaged whole, so an unknown frequency is learned in a second or
two; later ones are averaged with the weight 1/FREQUENCY_MEMORY_S. Served time only changes
rate, never jumps, except by an explicit step.
"""

from __future__ import annotations

from dataclasses import dataclass

SECOND = 1_000_000_000
KP = 0.2  # share of the phase error removed per second
MAX_RATE = 500e-6  # the slew limit, as in ntpd and chrony
FREQUENCY_MEMORY_S = 50.0
"""How many seconds of frequency measurements the estimate averages, once settled."""
MAX_MEASURE_GAP_NS = 16 * SECOND
"""Offsets further apart than this (missing pulses) do not measure the frequency."""


@dataclass
class Servo:
    base_host: int = 0
    base_served: int = 0
    rate: float = 0.0
    """Fractional rate correction in force: served advances host_dt * (1 + rate)."""
    frequency: float = 0.0
    """The estimate of the host oscillator's correction, without the phase slew."""
    started: bool = False
    samples: int = 0
    """Frequency measurements averaged since the last step."""
    last: tuple[int, float] | None = None
    """Host time and offset of the previous update, while the rate since then is known."""

    def served(self, host_ns: int) -> int:
        return self.base_served + round((host_ns - self.base_host) * (1 + self.rate))

    def rebase(self, host_ns: int) -> None:
        self.base_served, self.base_host = self.served(host_ns), host_ns

    def step(self, host_ns: int, served_ns: int) -> None:
        """Served time at `host_ns` becomes `served_ns`; the frequency is learned again."""
        self.base_host, self.base_served = host_ns, served_ns
        self.rate = self.frequency
        self.started = True
        self.samples = 0
        self.last = (host_ns, 0.0)

    @property
    def learning(self) -> bool:
        """Right after a step: the frequency is not measured yet."""
        return self.samples == 0

    def weight(self) -> float:
        """The weight of the next frequency measurement: a running mean, then a memory."""
        return max(1.0 / (self.samples + 1), 1.0 / FREQUENCY_MEMORY_S)

    def update(self, host_ns: int, offset_ns: float) -> float | None:
        """`offset_ns` is reference minus served at `host_ns`. Returns the residual: how far
        the offset is from what the frequency estimate predicted (None when unmeasured)."""
        residual = None
        if self.last is not None and 0 < host_ns - self.last[0] <= MAX_MEASURE_GAP_NS:
            interval = host_ns - self.last[0]
            measured = self.rate + (offset_ns - self.last[1]) / interval
            residual = (measured - self.frequency) * interval
            self.frequency = _clamp(self.frequency + self.weight() * (measured - self.frequency))
            self.samples += 1
        self.rebase(host_ns)
        self.rate = _clamp(self.frequency + KP * offset_ns / SECOND)
        self.last = (host_ns, offset_ns)
        return residual

    def forget(self) -> None:
        """The next offset does not measure the frequency (it follows a gap or a jump)."""
        self.last = None

    def slew_only(self, host_ns: int) -> None:
        """Holdover: keep the learned frequency, stop chasing the last phase error."""
        self.rebase(host_ns)
        self.rate = self.frequency
        self.last = None


def _clamp(rate: float) -> float:
    return max(-MAX_RATE, min(MAX_RATE, rate))
