"""The timing discipline against the simulated receiver and oscillator, on a stepped clock:
hours of receiver seconds in a few seconds of test."""

from collections.abc import Iterator
from dataclasses import dataclass

from firmware.base.config.schema import Timing
from firmware.base.events import Event, EventBus
from firmware.timing.discipline import Discipline
from firmware.timing.sync_state import SyncState
from hal.gps.nmea import EpochAssembler
from hal.gps.types import GpsScenario, PpsEdge
from sim.clock import SteppedClock
from sim.gps.receiver import SECOND, ReceiverSettings, SimReceiver
from sim.oscillator import Oscillator

NMEA_DELAY = 60_000_000
PROBE = SECOND // 2
PROBES_IN_A_SECOND = (SECOND // 2,)
"""Where in each second served time is probed by default; the property probes more points:
just before the NMEA, just after it (the correction is freshest), half-way, at the end."""
EVERY_PART = (30_000_000, 70_000_000, SECOND // 2, 990_000_000)


@dataclass
class Probe:
    true_ns: int
    """True time on the continuous (leap-free) timescale of the simulated world."""
    utc_ns: int
    """What a perfect server would serve at that moment: true UTC, leaps applied."""
    served_ns: int
    state: SyncState
    frequency_ppm: float
    """The oscillator's true frequency offset: the servo should learn minus this."""

    @property
    def error_ns(self) -> int:
        return self.served_ns - self.utc_ns


class TimingBench:
    def __init__(
        self, start_ns: int, timing: Timing, gps: ReceiverSettings, oscillator: Oscillator,
        seed: int = 1, probes: tuple[int, ...] = PROBES_IN_A_SECOND,
    ) -> None:  # fmt: skip
        self.true = SteppedClock(start_ns)
        self.events: list[Event] = []
        bus = EventBus(self.true)
        bus.subscribe(self.events.append)
        self.discipline = Discipline(timing, bus)
        self.receiver = SimReceiver(gps, start_ns, seed=seed)
        self.oscillator = oscillator
        self.assembler = EpochAssembler()
        self.second = start_ns - start_ns % SECOND
        self.sequence = 0
        self.probes = probes

    def inject(self, scenario: GpsScenario) -> None:
        self.receiver.inject(scenario, self.second)

    def run(self, seconds: int) -> Iterator[Probe]:
        """Each receiver second: the PPS, the NMEA and the probes of served time, in the
        order they happen (the PPS may come early or late by its jitter)."""
        for _ in range(seconds):
            output = self.receiver.second(self.second)
            moments: list[tuple[int, str]] = [(self.second + NMEA_DELAY, "nmea")]
            moments += [(self.second + part, "probe") for part in self.probes]
            if output.pps_ns is not None:
                moments.append((output.pps_ns, "pps"))
            for moment, kind in sorted(moments):
                if kind == "pps":
                    self.sequence += 1
                    host = self.oscillator.local_at(moment)
                    self.discipline.pps_edge(PpsEdge(host, self.sequence))
                elif kind == "nmea":
                    self._sentences(output.lines, self.oscillator.local_at(moment))
                else:
                    yield self._probe(moment)
            self.second += SECOND

    def _sentences(self, lines: list[str], arrival: int) -> None:
        for line in lines:
            sample = self.assembler.feed(line, arrival)
            if sample is not None:
                self.discipline.time_sample(sample)

    def coast(self, seconds: int, every: int = 10) -> Iterator[Probe]:
        """An outage fast-forwarded: the receiver is silent (no PPS, no sentences) and the
        discipline is ticked and probed every `every` seconds."""
        self.inject("antenna_open")
        for _ in range(seconds // every):
            yield self._probe(self.second + PROBE)
            self.second += every * SECOND

    def _probe(self, probe_true: int) -> Probe:
        host = self.oscillator.local_at(probe_true)
        self.discipline.tick(host)
        self.true.step((probe_true - self.true.now_ns()) / 1e9)
        discipline = self.discipline
        return Probe(
            probe_true, self.utc_ns(probe_true), discipline.served_ns(host),
            discipline.sync_state(host), self.oscillator.frequency_ppm,
        )  # fmt: skip

    def utc_ns(self, true_ns: int) -> int:
        """True UTC as served: after an inserted second one second behind the continuous
        scale (the second itself held at 00:00:00.000), after a deleted one ahead."""
        leap, scenario = self.receiver.leap_ns, self.receiver.scenario
        if scenario == "leap_insert" and true_ns >= leap:
            return max(leap, true_ns - SECOND)
        if scenario == "leap_delete" and true_ns >= leap - SECOND:
            return true_ns + SECOND
        return true_ns

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]
