"""NMEA 0183 from a GPS receiver: checked sentences gathered into one TimeSample per second.

pynmea2 frames each sentence and checks its checksum (always required here); the fields
are converted by hand because pynmea2 raises on bad fields only when they are read. The
end of a receiver's once-per-second cycle is learned as gpsd does: the sentence type that
comes last before the time of day changes.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pynmea2

from hal.gps.types import Antenna, FixMode, LeapWarning, Position, Satellite, TimeSample

MAX_LINE = 120  # NMEA allows 82 characters; some receivers exceed it a little.
ANTENNA_STATES = {"OK": Antenna.OK, "OPEN": Antenna.OPEN, "SHORT": Antenna.SHORT}
LEAP_TAG = "TSV"
"""Our proprietary $PTSV,LEAP,+1,YYYYMMDD[,hhmmss] sentence (sim and compatible firmware):
the warning, and the last second before the leap (23:59:59 of that day when left out)."""


class NmeaError(Exception):
    """A sentence that cannot be used; `reason` is the counter it goes to."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class Counters:
    sentences: int = 0
    bad_checksum: int = 0
    malformed: int = 0
    unknown: int = 0
    samples: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def decode(line: str) -> pynmea2.NMEASentence:
    """One sentence with a valid checksum, or NmeaError."""
    text = line.strip()
    if len(text) > MAX_LINE or not text.startswith("$"):
        raise NmeaError("malformed", "not a sentence")
    if "*" not in text:
        raise NmeaError("bad_checksum", "no checksum")
    try:
        return pynmea2.parse(text, check=True)
    except pynmea2.ChecksumError as exc:
        raise NmeaError("bad_checksum", str(exc)) from exc
    except (pynmea2.ParseError, ValueError, TypeError, AttributeError) as exc:
        raise NmeaError("malformed", str(exc)) from exc


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _time_of_day(text: str) -> tuple[int, int, int, int] | None:
    """hhmmss[.ss] -> (h, m, s, microseconds); seconds may be 60 in a leap second."""
    if len(text) < 6 or not text[:6].isdigit():
        return None
    hours, minutes, seconds = int(text[0:2]), int(text[2:4]), int(text[4:6])
    fraction = text[6:]
    micros = 0
    if fraction:
        if not (fraction.startswith(".") and fraction[1:].isdigit() and len(fraction) <= 7):
            return None
        micros = int(fraction[1:].ljust(6, "0"))
    if hours > 23 or minutes > 59 or seconds > 60:
        return None
    return hours, minutes, seconds, micros


def _coordinate(value: str, hemisphere: str, degree_digits: int) -> float | None:
    try:
        degrees = int(value[:degree_digits])
        minutes = float(value[degree_digits:])
    except ValueError:
        return None
    if minutes >= 60 or hemisphere not in ("N", "S", "E", "W"):
        return None
    result = degrees + minutes / 60
    return -result if hemisphere in ("S", "W") else result


@dataclass
class _Epoch:
    clock: str = ""
    date: datetime.date | None = None
    status_ok: bool | None = None
    quality: int = 0
    used_count: int | None = None
    position: Position | None = None
    altitude: float | None = None
    gsa_mode: int | None = None
    received_ns: int = 0


@dataclass
class EpochAssembler:
    """Feed lines in arrival order; a TimeSample comes out once per receiver cycle."""

    counters: Counters = field(default_factory=Counters)
    antenna: Antenna = Antenna.UNKNOWN
    leap: LeapWarning = LeapWarning.NONE
    leap_at_ns: int | None = None
    used_prns: frozenset[int] = frozenset()
    in_view: list[Satellite] = field(default_factory=list)
    _epoch: _Epoch = field(default_factory=_Epoch)
    _gsv_parts: list[Satellite] = field(default_factory=list)
    _last_type: str = ""
    _cycle_ender: str = ""
    _emitted: bool = False

    def feed(self, line: str, received_ns: int) -> TimeSample | None:
        try:
            sentence = decode(line)
        except NmeaError as exc:
            setattr(self.counters, exc.reason, getattr(self.counters, exc.reason) + 1)
            return None
        kind = self._kind(sentence)
        handler = self._handlers().get(kind)
        if handler is None:
            self.counters.unknown += 1
            return None
        data = [str(item) for item in sentence.data]
        try:
            flushed = handler(data, received_ns)
        except (ValueError, IndexError, KeyError):
            self.counters.malformed += 1
            return None
        self.counters.sentences += 1
        self._last_type = kind
        if flushed is None and kind == self._cycle_ender and not self._emitted:
            flushed = self._emit(received_ns)
        return flushed

    @staticmethod
    def _kind(sentence: pynmea2.NMEASentence) -> str:
        if isinstance(sentence, pynmea2.ProprietarySentence):
            return f"P{sentence.manufacturer}"
        return str(getattr(sentence, "sentence_type", ""))

    def _handlers(self) -> dict[str, Callable[[list[str], int], TimeSample | None]]:
        return {
            "RMC": self._rmc,
            "GGA": self._gga,
            "GSA": self._gsa,
            "GSV": self._gsv,
            "ZDA": self._zda,
            "TXT": self._txt,
            f"P{LEAP_TAG}": self._leap,
        }

    def _at(self, clock: str, received_ns: int) -> TimeSample | None:
        """A sentence stamped `clock`: a new time of day closes the previous cycle."""
        if _time_of_day(clock) is None:
            raise ValueError(f"bad time of day {clock!r}")
        if clock == self._epoch.clock:
            return None
        flushed = None
        if self._epoch.clock:
            self._cycle_ender = self._last_type
            if not self._emitted:
                flushed = self._emit(received_ns)
        # A cycle is stamped when its first timed sentence arrives: untimed ones (GSA, GSV)
        # may already belong to the next cycle, so they must not move the stamp.
        self._epoch = _Epoch(clock=clock, received_ns=received_ns)
        self._emitted = False
        return flushed

    def _rmc(self, data: list[str], received_ns: int) -> TimeSample | None:
        if not data[0]:
            # No time at all (cold start, no antenna): report it once per cycle.
            self._epoch = _Epoch()
            self._emitted = False
            return self._emit(received_ns)
        flushed = self._at(data[0], received_ns)
        self._epoch.status_ok = data[1] == "A"
        day, month, year = _int(data[8][0:2]), _int(data[8][2:4]), _int(data[8][4:6])
        if len(data[8]) == 6 and day and month and year is not None:
            full_year = year + (1900 if year >= 80 else 2000)
            self._epoch.date = datetime.date(full_year, month, day)
        self._set_position(data[2], data[3], data[4], data[5])
        return flushed

    def _gga(self, data: list[str], received_ns: int) -> TimeSample | None:
        if not data[0]:
            return None
        flushed = self._at(data[0], received_ns)
        self._epoch.quality = _int(data[5]) or 0
        self._epoch.used_count = _int(data[6])
        self._set_position(data[1], data[2], data[3], data[4])
        try:
            self._epoch.altitude = float(data[8])
        except ValueError:
            self._epoch.altitude = None
        return flushed

    def _zda(self, data: list[str], received_ns: int) -> TimeSample | None:
        if not data[0]:
            return None
        flushed = self._at(data[0], received_ns)
        self._epoch.date = datetime.date(int(data[3]), int(data[2]), int(data[1]))
        return flushed

    def _gsa(self, data: list[str], received_ns: int) -> None:
        self._epoch.gsa_mode = _int(data[1])
        self.used_prns = frozenset(p for p in (_int(x) for x in data[2:14]) if p)

    def _gsv(self, data: list[str], received_ns: int) -> None:
        total, number = int(data[0]), int(data[1])
        if number == 1:
            self._gsv_parts = []
        for start in range(3, len(data) - 3, 4):
            prn = _int(data[start])
            if prn:
                elevation, azimuth, snr = (_int(x) for x in data[start + 1 : start + 4])
                self._gsv_parts.append(Satellite(prn, elevation, azimuth, snr, False))
        if number == total:
            self.in_view = self._gsv_parts
            self._gsv_parts = []

    def _txt(self, data: list[str], received_ns: int) -> None:
        text = data[3].upper() if len(data) > 3 else ""
        if text.startswith("ANTSTATUS="):
            self.antenna = ANTENNA_STATES.get(text.removeprefix("ANTSTATUS="), Antenna.UNKNOWN)

    def _leap(self, data: list[str], received_ns: int) -> None:
        # pynmea2 keeps an empty field where a standard sentence has its type.
        data = data[1:] if data and data[0] == "" else data
        if data[0] != "LEAP":
            raise ValueError("unknown proprietary sentence")
        warnings = {"+1": LeapWarning.INSERT, "-1": LeapWarning.DELETE, "0": LeapWarning.NONE}
        warning = warnings[data[1]]
        at = None
        if warning is not LeapWarning.NONE and len(data) > 2 and data[2]:
            clock = data[3] if len(data) > 3 and data[3] else "235959"
            last = datetime.datetime.strptime(data[2] + clock, "%Y%m%d%H%M%S")
            at = (calendar.timegm(last.timetuple()) + 1) * 10**9
        self.leap, self.leap_at_ns = warning, at

    def _set_position(self, lat: str, lat_hemi: str, lon: str, lon_hemi: str) -> None:
        latitude = _coordinate(lat, lat_hemi, 2)
        longitude = _coordinate(lon, lon_hemi, 3)
        if latitude is not None and longitude is not None:
            self._epoch.position = Position(latitude, longitude, self._epoch.altitude)

    def _emit(self, received_ns: int) -> TimeSample:
        epoch = self._epoch
        self._emitted = True
        self.counters.samples += 1
        fix = self._fix(epoch)
        utc_ns = None
        tod = _time_of_day(epoch.clock)
        if epoch.date is not None and tod is not None:
            hours, minutes, seconds, micros = tod
            midnight = datetime.datetime.combine(epoch.date, datetime.time(), datetime.UTC)
            day_ns = ((hours * 60 + minutes) * 60 + seconds) * 10**9 + micros * 1000
            utc_ns = int(midnight.timestamp()) * 10**9 + day_ns
        satellites = tuple(
            Satellite(s.prn, s.elevation, s.azimuth, s.snr, s.prn in self.used_prns)
            for s in self.in_view
        )
        used = epoch.used_count if epoch.used_count is not None else len(self.used_prns)
        position = epoch.position
        if position is not None and epoch.altitude is not None:
            position = Position(position.latitude, position.longitude, epoch.altitude)
        return TimeSample(
            utc_ns, epoch.received_ns or received_ns, fix, epoch.quality, used, satellites,
            self.antenna, self.leap, position if fix > FixMode.NONE else None,
            leap_second=tod is not None and tod[2] == 60, completed_ns=received_ns,
            leap_at_ns=self.leap_at_ns,
        )  # fmt: skip

    @staticmethod
    def _fix(epoch: _Epoch) -> FixMode:
        if epoch.status_ok is False or (epoch.status_ok is None and epoch.quality == 0):
            return FixMode.NONE
        if epoch.gsa_mode in (2, 3):
            return FixMode(epoch.gsa_mode)
        return FixMode.THREE_D if epoch.altitude is not None else FixMode.TWO_D
