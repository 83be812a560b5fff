"""Keeps the receiver's latest report for status screens and turns changes into events."""

from __future__ import annotations

from firmware.base.events import EventBus, Severity
from hal.gps.types import Antenna, GpsSink, LeapWarning, PpsEdge, TimeSample


class GpsMonitor:
    """A GpsSink in front of the discipline: it passes every report on to `listeners`."""

    def __init__(self, events: EventBus) -> None:
        self.events = events
        self.listeners: list[GpsSink] = []
        self.sample: TimeSample | None = None
        self.edge: PpsEdge | None = None
        self.samples = 0
        self.edges = 0

    def time_sample(self, sample: TimeSample) -> None:
        previous = self.sample
        self.sample = sample
        self.samples += 1
        self._report_changes(previous, sample)
        for listener in self.listeners:
            listener.time_sample(sample)

    def pps_edge(self, edge: PpsEdge) -> None:
        self.edge = edge
        self.edges += 1
        for listener in self.listeners:
            listener.pps_edge(edge)

    def _report_changes(self, before: TimeSample | None, now: TimeSample) -> None:
        was_valid = before is not None and before.valid
        if now.valid and not was_valid:
            self.events.emit(
                "gps.fix_acquired",
                Severity.NOTICE,
                f"GPS fix acquired ({now.fix.name}, {now.satellites_used} satellites)",
            )
        elif was_valid and not now.valid:
            self.events.emit("gps.fix_lost", Severity.WARNING, "GPS fix lost")
        antenna_before = before.antenna if before else Antenna.UNKNOWN
        if now.antenna != antenna_before and now.antenna in (Antenna.OPEN, Antenna.SHORT):
            self.events.emit(
                "gps.antenna_fault",
                Severity.ERROR,
                f"GPS antenna {now.antenna.value}",
                {"antenna": now.antenna.value},
            )
        elif now.antenna == Antenna.OK and antenna_before in (Antenna.OPEN, Antenna.SHORT):
            self.events.emit("gps.antenna_ok", Severity.NOTICE, "GPS antenna OK")
        leap_before = before.leap if before else LeapWarning.NONE
        if now.leap != leap_before and now.leap != LeapWarning.NONE:
            self.events.emit(
                "gps.leap_announced",
                Severity.NOTICE,
                f"GPS receiver announces a leap second ({now.leap.value})",
            )

    def status(self) -> dict[str, object]:
        sample = self.sample
        return {
            "fix": sample.fix.name if sample else "NONE",
            "valid": bool(sample and sample.valid),
            "satellites_used": sample.satellites_used if sample else 0,
            "satellites_in_view": len(sample.satellites) if sample else 0,
            "antenna": sample.antenna.value if sample else Antenna.UNKNOWN.value,
            "leap_warning": sample.leap.value if sample else LeapWarning.NONE.value,
            "utc_ns": sample.utc_ns if sample else None,
            "last_pps_ns": self.edge.host_ns if self.edge else None,
            "samples": self.samples,
            "pps_edges": self.edges,
            "position": _position(sample),
            "satellites": [
                {
                    "prn": s.prn,
                    "elevation": s.elevation,
                    "azimuth": s.azimuth,
                    "snr": s.snr,
                    "used": s.used,
                }
                for s in (sample.satellites if sample else ())
            ],  # fmt: skip
        }


def _position(sample: TimeSample | None) -> dict[str, float | None] | None:
    if sample is None or sample.position is None:
        return None
    where = sample.position
    return {"latitude": where.latitude, "longitude": where.longitude, "altitude": where.altitude}
