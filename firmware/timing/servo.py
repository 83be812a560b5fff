"""The servo: a host-to-served mapping whose rate is the learned frequency plus a phase slew.

Frequency and phase are kept apart. The frequency is measured from each pair of consecutive
offsets and how far served time advanced between them, so it does not depend on how hard
the phase is being slewed: a large phase error after an outage is slewed out without being
booked as frequency (no wind-up, no swing between the rate limits). Right after a step the
first measurements are averaged whole, so an unknown frequency is learned in a second or
two; later ones are averaged with the weight 1/FREQUENCY_MEMORY_S.

Each measurement slews KP of its offset out over the next SLEW_NS and no longer: when the
next one does not come (an outage, whatever the state), served time runs on at the learned
frequency instead of chasing an old offset. Served time only changes rate, never jumps,
except by an explicit step.
"""

from __future__ import annotations

from dataclasses import dataclass

SECOND = 1_000_000_000
KP = 0.2  # share of the phase error removed per measurement
SLEW_NS = SECOND
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
    last: tuple[int, float, int] | None = None
    """Host time, offset and served time of the previous measurement."""
    slew_end: int | None = None
    """Host time at which `rate` falls back to `frequency` (None: it holds)."""

    def served(self, host_ns: int) -> int:
        end = self.slew_end
        if end is None or host_ns <= end:
            return self.base_served + round((host_ns - self.base_host) * (1 + self.rate))
        at_end = self.base_served + round((end - self.base_host) * (1 + self.rate))
        return at_end + round((host_ns - end) * (1 + self.frequency))

    def rate_at(self, host_ns: int) -> float:
        return self.rate if self.slew_end is None or host_ns <= self.slew_end else self.frequency

    def rebase(self, host_ns: int) -> None:
        """The same mapping, described from `host_ns` on (never earlier than the base)."""
        host_ns = max(host_ns, self.base_host)
        self.base_served, self.rate = self.served(host_ns), self.rate_at(host_ns)
        self.base_host = host_ns
        if self.slew_end is not None and host_ns >= self.slew_end:
            self.slew_end = None

    def linear(self, host_ns: int) -> Servo:
        """A copy that is one straight line from `host_ns` on: what workers extrapolate."""
        copy = Servo(self.base_host, self.base_served, self.rate, self.frequency, self.started)
        copy.slew_end = self.slew_end
        copy.rebase(host_ns)
        copy.slew_end = None
        return copy

    def step(self, host_ns: int, served_ns: int) -> None:
        """Served time at `host_ns` becomes `served_ns`; the frequency is learned again."""
        self.base_host, self.base_served = host_ns, served_ns
        self.rate, self.slew_end = self.frequency, None
        self.started = True
        self.samples = 0
        self.last = (host_ns, 0.0, served_ns)

    @property
    def learning(self) -> bool:
        """Right after a step: the frequency is not measured yet."""
        return self.samples == 0

    def weight(self) -> float:
        """The weight of the next frequency measurement: a running mean, then a memory."""
        return max(1.0 / (self.samples + 1), 1.0 / FREQUENCY_MEMORY_S)

    def update(self, host_ns: int, offset_ns: float, now_ns: int) -> tuple[float | None, float]:
        """`offset_ns` is reference minus served at `host_ns` (a PPS edge), learned at host
        time `now_ns`, from which the new rate applies (served time so far is left as it
        was). Returns the residual (how far the offset is from what the frequency estimate
        predicted; None when unmeasured) and the offset carried forward to `now_ns`."""
        served = self.served(host_ns)
        residual = None
        if self.last is not None and 0 < host_ns - self.last[0] <= MAX_MEASURE_GAP_NS:
            last_host, last_offset, last_served = self.last
            interval = host_ns - last_host
            # The reference advanced by the offsets' change plus what served time did.
            gained = (offset_ns - last_offset) + (served - last_served - interval)
            residual = gained - self.frequency * interval
            measured = gained / interval
            self.frequency = _clamp(self.frequency + self.weight() * (measured - self.frequency))
            self.samples += 1
        now_ns = max(now_ns, host_ns, self.base_host)
        # Served time ran on at the old rate since the edge; the reference at the new estimate.
        lag = now_ns - host_ns
        offset_now = offset_ns + lag * (1 + self.frequency) - (self.served(now_ns) - served)
        self.rebase(now_ns)
        self.rate = _clamp(self.frequency + KP * offset_now / SLEW_NS)
        self.slew_end = self.base_host + SLEW_NS
        self.last = (host_ns, offset_ns, served)
        return residual, offset_now

    def forget(self) -> None:
        """The next offset does not measure the frequency (it follows a gap or a jump)."""
        self.last = None


def _clamp(rate: float) -> float:
    return max(-MAX_RATE, min(MAX_RATE, rate))
