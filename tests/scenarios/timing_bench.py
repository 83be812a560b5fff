"""The timing discipline against the simulated receiver and oscillator, on a stepped clock:
hours of receiver seconds in a few seconds of test."""

from collections.abc import Iterator
from dataclasses import dataclass

from firmware.config.schema import GpsScenario, SimGps, Timing
from firmware.events import Event, EventBus
from firmware.timing.discipline import Discipline
from firmware.timing.sync_state import SyncState
from hal.gps.nmea import EpochAssembler
from hal.gps.types import PpsEdge
from sim.clock import SteppedClock
from sim.gps.receiver import SECOND, SimReceiver
from sim.oscillator import Oscillator

NMEA_DELAY = 60_000_000
PROBE = SECOND // 2


@dataclass
class Probe:
    true_ns: int
    served_ns: int
    state: SyncState

    @property
    def error_ns(self) -> int:
        return self.served_ns - self.true_ns


class TimingBench:
    def __init__(
        self, start_ns: int, timing: Timing, gps: SimGps, oscillator: Oscillator, seed: int = 1
    ) -> None:
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

    def inject(self, scenario: GpsScenario) -> None:
        self.receiver.inject(scenario, self.second)

    def run(self, seconds: int) -> Iterator[Probe]:
        """Each receiver second: PPS, then NMEA, then a probe of served time half-way."""
        for _ in range(seconds):
            output = self.receiver.second(self.second)
            if output.pps_ns is not None:
                self.sequence += 1
                host = self.oscillator.local_at(output.pps_ns)
                self.discipline.pps_edge(PpsEdge(host, self.sequence))
            arrival = self.oscillator.local_at(self.second + NMEA_DELAY)
            for line in output.lines:
                sample = self.assembler.feed(line, arrival)
                if sample is not None:
                    self.discipline.time_sample(sample)
            probe_true = self.second + PROBE
            host = self.oscillator.local_at(probe_true)
            self.discipline.tick(host)
            self.true.step((probe_true - self.true.now_ns()) / 1e9)
            yield Probe(
                probe_true, self.discipline.served_ns(host), self.discipline.sync_state(host)
            )
            self.second += SECOND

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]
