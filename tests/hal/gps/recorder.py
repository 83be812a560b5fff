"""A GpsSink that keeps what a receiver reported."""

from hal.gps.types import PpsEdge, TimeSample


class Recorder:
    def __init__(self) -> None:
        self.samples: list[TimeSample] = []
        self.edges: list[PpsEdge] = []

    def time_sample(self, sample: TimeSample) -> None:
        self.samples.append(sample)

    def pps_edge(self, edge: PpsEdge) -> None:
        self.edges.append(edge)
