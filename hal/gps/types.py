"""What a GPS receiver reports, whatever its backend: time samples and PPS edges."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Literal, Protocol

# What the simulated receiver can be made to do (and the scenarios tests drive it through).
GpsScenario = Literal[
    "locked",
    "cold_start",
    "antenna_open",
    "antenna_short",
    "satellites_lost",
    "signal_regained",
    "leap_insert",
    "leap_delete",
    "week_rollover",
    "corrupt_sentences",
    "pps_jitter",
]


class FixMode(IntEnum):
    """As NMEA GSA and gpsd's TPV number them."""

    NONE = 1
    TWO_D = 2
    THREE_D = 3


class Antenna(Enum):
    UNKNOWN = "unknown"
    OK = "ok"
    OPEN = "open"
    SHORT = "short"


class LeapWarning(Enum):
    NONE = "none"
    INSERT = "insert"
    DELETE = "delete"


@dataclass(frozen=True)
class Satellite:
    prn: int
    elevation: int | None
    azimuth: int | None
    snr: int | None
    """Carrier-to-noise in dB-Hz; None when not tracked."""
    used: bool


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    altitude: float | None


@dataclass(frozen=True)
class TimeSample:
    """One second's report: the UTC the receiver claims for its last PPS, and its health."""

    utc_ns: int | None
    """UTC of the second, or None when the receiver has no valid time."""
    received_ns: int
    """Host realtime when the report arrived (coarse; the PPS edge carries the precision)."""
    fix: FixMode
    quality: int
    """GGA quality indicator: 0 invalid, 1 GPS, 2 DGPS, ..."""
    satellites_used: int
    satellites: tuple[Satellite, ...]
    antenna: Antenna
    leap: LeapWarning
    position: Position | None
    leap_second: bool = False
    """The receiver labelled this second 23:59:60, so utc_ns repeats the next second's."""
    completed_ns: int = 0
    """Host realtime when the report was complete (0: at received_ns): a correction learned
    from it applies from then on, never to served time already gone by."""
    leap_at_ns: int | None = None
    """UTC just after the leap `leap` warns of, when the receiver says (else: the end of the
    month, where leaps happen)."""

    @property
    def valid(self) -> bool:
        return self.utc_ns is not None and self.fix >= FixMode.TWO_D


@dataclass(frozen=True)
class PpsEdge:
    host_ns: int
    """Host realtime of the pulse's leading edge."""
    sequence: int


class GpsSink(Protocol):
    """Where a receiver reports; the timing discipline and the status screens listen here."""

    def time_sample(self, sample: TimeSample) -> None: ...

    def pps_edge(self, edge: PpsEdge) -> None: ...


class GpsReceiver(Protocol):
    """A GPS backend: small and dumb, it only reports (filtering lives in firmware/timing)."""

    name: str

    async def start(self, sink: GpsSink) -> None: ...

    async def stop(self) -> None: ...

    async def wait(self) -> None: ...

    def status(self) -> dict[str, object]: ...
