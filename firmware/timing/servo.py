"""The servo: a host-to-served mapping steered by a PI phase-locked loop, with a
frequency-locked acquisition after each step. Served time only changes rate, never jumps,
except by an explicit step."""

from __future__ import annotations

from dataclasses import dataclass

SECOND = 1_000_000_000
KP = 0.2  # share of the phase error removed over the next interval
KI = 0.02  # share of the phase error (per second) folded into the frequency
MAX_RATE = 500e-6  # the slew limit, as in ntpd and chrony
ACQUIRE_SAMPLES = 2


@dataclass
class Servo:
    base_host: int = 0
    base_served: int = 0
    rate: float = 0.0
    """Fractional rate correction in force: served advances host_dt * (1 + rate)."""
    frequency: float = 0.0
    """The estimate of the host oscillator's correction, without the phase slew."""
    started: bool = False
    acquiring: int = 0

    def served(self, host_ns: int) -> int:
        return self.base_served + round((host_ns - self.base_host) * (1 + self.rate))

    def rebase(self, host_ns: int) -> None:
        self.base_served, self.base_host = self.served(host_ns), host_ns

    def step(self, host_ns: int, served_ns: int) -> None:
        """Served time at `host_ns` becomes `served_ns`; the frequency is learned again."""
        self.base_host, self.base_served = host_ns, served_ns
        self.rate = self.frequency
        self.started = True
        self.acquiring = ACQUIRE_SAMPLES

    def update(self, host_ns: int, offset_ns: float, interval_ns: int) -> None:
        """`offset_ns` is reference minus served at `host_ns`, measured `interval_ns` after
        the previous update."""
        self.rebase(host_ns)
        interval = max(interval_ns, SECOND // 10)
        if self.acquiring:
            # Right after a step all of the offset is frequency error: take it whole.
            self.acquiring -= 1
            self.frequency += offset_ns / interval
            slew = offset_ns / interval
        else:
            self.frequency += KI * offset_ns / interval
            slew = KP * offset_ns / interval
        self.frequency = _clamp(self.frequency)
        self.rate = _clamp(self.frequency + slew)

    def slew_only(self) -> None:
        """Holdover: keep the learned frequency, stop chasing the last phase error."""
        self.rate = self.frequency


def _clamp(rate: float) -> float:
    return max(-MAX_RATE, min(MAX_RATE, rate))
