"""The gpsd backend: a client of gpsd's JSON protocol (WATCH; TPV, SKY, PPS and TOFF)."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

from hal.clock import Clock
from hal.device_task import DeviceTask
from hal.errors import DeviceError
from hal.gps.types import (
    Antenna,
    FixMode,
    GpsSink,
    LeapWarning,
    Position,
    PpsEdge,
    Satellite,
    TimeSample,
)

MAX_REPORT = 65536


def parse_time(text: str) -> int:
    """gpsd's ISO 8601 UTC ('2026-11-26T04:40:45.000Z') as Unix nanoseconds."""
    main, _, fraction = text.rstrip("Z").partition(".")
    moment = datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.UTC)
    nanoseconds = int(fraction.ljust(9, "0")[:9]) if fraction else 0
    return int(moment.timestamp()) * 1_000_000_000 + nanoseconds


def _not_a_number(name: str) -> None:
    raise ValueError(f"{name} is not a number gpsd sends")


class GpsdReports:
    """Sans-I/O: one JSON report in, a TimeSample or PpsEdge out (or nothing)."""

    def __init__(self) -> None:
        self.satellites: tuple[Satellite, ...] = ()
        self.arrival_ns: int | None = None
        self.last_time: int | None = -1
        self.counters = {"reports": 0, "malformed": 0, "ignored": 0}

    def feed(self, line: bytes, received_ns: int) -> TimeSample | PpsEdge | None:
        try:
            report: dict[str, Any] = json.loads(line, parse_constant=_not_a_number)
            result = self._dispatch(report, received_ns)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            self.counters["malformed"] += 1
            return None
        self.counters["reports"] += 1
        return result

    def _dispatch(self, report: dict[str, Any], received_ns: int) -> TimeSample | PpsEdge | None:
        kind = report.get("class")
        if kind == "TPV":
            # gpsd sends a TPV for each sentence of a cycle; one sample per second is enough.
            utc = parse_time(report["time"]) if "time" in report else None
            if utc == self.last_time:
                return None
            self.last_time = utc
            return self._tpv(report, utc, received_ns)
        if kind == "SKY":
            self.satellites = tuple(
                Satellite(
                    int(s["PRN"]),
                    _opt_int(s.get("el")),
                    _opt_int(s.get("az")),
                    _opt_int(s.get("ss")),
                    bool(s.get("used")),
                )
                for s in report.get("satellites", [])
            )
            return None
        if kind == "PPS":
            host = int(report["clock_sec"]) * 1_000_000_000 + int(report["clock_nsec"])
            return PpsEdge(host, int(report["real_sec"]))
        if kind == "TOFF":
            self.arrival_ns = int(report["clock_sec"]) * 1_000_000_000 + int(report["clock_nsec"])
            return None
        self.counters["ignored"] += 1
        return None

    def _tpv(self, report: dict[str, Any], utc: int | None, received_ns: int) -> TimeSample:
        mode = FixMode(max(1, int(report.get("mode", 1))))
        position = None
        if mode >= FixMode.TWO_D and "lat" in report and "lon" in report:
            altitude = report.get("altMSL", report.get("alt"))
            position = Position(float(report["lat"]), float(report["lon"]), altitude)
        used = sum(1 for s in self.satellites if s.used)
        return TimeSample(
            utc_ns=utc,
            received_ns=self.arrival_ns or received_ns,
            fix=mode,
            quality=1 if mode >= FixMode.TWO_D else 0,
            satellites_used=used,
            satellites=self.satellites,
            antenna=Antenna.UNKNOWN,
            leap=LeapWarning.NONE,
            position=position,
            completed_ns=received_ns,
        )


def _opt_int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


class GpsdReceiver:
    """A lost connection ends the receiver; the supervisor reconnects with backoff."""

    name = "gps"

    def __init__(self, host: str, port: int, device: str, clock: Clock) -> None:
        self.host = host
        self.port = port
        self.device = device
        self.clock = clock
        self.reports = GpsdReports()
        self.reader = DeviceTask("gpsd reader")
        self.writer: asyncio.StreamWriter | None = None

    async def start(self, sink: GpsSink) -> None:
        try:
            reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=MAX_REPORT
            )
        except OSError as exc:
            raise DeviceError(f"cannot reach gpsd at {self.host}:{self.port}: {exc}") from exc
        watch: dict[str, object] = {"enable": True, "json": True, "pps": True, "timing": True}
        if self.device:
            watch["device"] = self.device
        self.writer.write(f"?WATCH={json.dumps(watch)}\n".encode())
        self.reader.start(self._read(reader, sink))

    async def _read(self, reader: asyncio.StreamReader, sink: GpsSink) -> None:
        while True:
            try:
                line = await reader.readline()
            except (asyncio.LimitOverrunError, ValueError):
                self.reports.counters["malformed"] += 1
                continue
            if not line:
                raise ConnectionError(f"gpsd at {self.host}:{self.port} closed the connection")
            result = self.reports.feed(line, self.clock.now_ns())
            if isinstance(result, TimeSample):
                sink.time_sample(result)
            elif isinstance(result, PpsEdge):
                sink.pps_edge(result)

    async def wait(self) -> None:
        await self.reader.wait()

    async def stop(self) -> None:
        await self.reader.stop()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def status(self) -> dict[str, object]:
        return {"backend": "gpsd", "gpsd": f"{self.host}:{self.port}", **self.reports.counters}
