"""True UTC of the simulated world: the host clock plus an offset that drifts and wanders."""

from __future__ import annotations

import bisect
from collections.abc import Callable

from sim.oscillator import Oscillator, OscillatorSpec

# Knots of the offset's path kept for queries that arrive late (several callers read the
# world); a few seconds' worth covers them, older ones extrapolate from the oldest segment.
KNOTS = 64


class SimWorld:
    """Maps host realtime nanoseconds to true UTC nanoseconds: `true = host + offset(host)`.

    The offset starts at `offset_ns`, runs at `frequency_ppm` and, with a wander, follows a
    random walk of frequency. The walk only moves forward: a query after the newest knot
    extends it by a new knot; an older query interpolates between knots, so every caller
    sees one continuous path whatever order they ask in.
    """

    def __init__(
        self,
        start_host_ns: int,
        offset_ns: int = 0,
        frequency_ppm: float = 0.0,
        wander_ppm_per_sqrt_s: float = 0.0,
        seed: int | None = None,
    ) -> None:
        # The host clock counts like an oscillator against which truth drifts: reuse its walk.
        spec = OscillatorSpec("world", frequency_ppm, 0.0, wander_ppm_per_sqrt_s)
        self.walk = Oscillator(spec, start_host_ns, float(offset_ns), frequency_ppm, seed)
        self.hosts = [start_host_ns]
        self.offsets = [float(offset_ns)]

    @property
    def frequency_ppm(self) -> float:
        """How fast true UTC gains on the host clock now, in parts per million."""
        return self.walk.frequency_ppm

    def true_ns(self, host_ns: int) -> int:
        """True UTC at the host time `host_ns`."""
        return host_ns + round(self.offset_ns(host_ns))

    def offset_ns(self, host_ns: int) -> float:
        """True UTC minus host time at `host_ns`."""
        if host_ns > self.hosts[-1]:
            self.walk.local_at(host_ns)
            self.hosts.append(host_ns)
            self.offsets.append(self.walk.offset_ns)
            if len(self.hosts) > KNOTS:
                del self.hosts[0], self.offsets[0]
        index = self._segment(lambda n: self.hosts[n], host_ns)
        return self._along(index, host_ns - self.hosts[index])

    def host_ns(self, true_ns: int) -> int:
        """The host time at which true UTC reads `true_ns`; one not reached yet is predicted
        from the frequency now, without moving the walk."""
        index = self._segment(lambda n: self.hosts[n] + self.offsets[n], true_ns)
        start = self.hosts[index]
        rate = self._rate(index)
        # On a segment true = start + offset + (host - start) * (1 + rate): solve for host.
        return start + round((true_ns - start - self.offsets[index]) / (1.0 + rate))

    def _segment(self, key: Callable[[int], float], value: float) -> int:
        """The knot that starts the segment `value` falls in (by host or by true time)."""
        # Before the oldest knot the oldest segment extends back; past the newest, the
        # walk's current frequency carries on.
        return max(0, bisect.bisect_right(range(len(self.hosts)), value, key=key) - 1)

    def _rate(self, index: int) -> float:
        """The offset's slope on the segment from knot `index`, nanoseconds per nanosecond;
        from the newest knot on, the walk's frequency now."""
        if index + 1 >= len(self.hosts):
            return self.walk.frequency_ppm * 1e-6
        span = self.hosts[index + 1] - self.hosts[index]
        return (self.offsets[index + 1] - self.offsets[index]) / span

    def _along(self, index: int, elapsed_ns: int) -> float:
        return self.offsets[index] + elapsed_ns * self._rate(index)
