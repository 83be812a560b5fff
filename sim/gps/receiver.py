"""The simulated receiver's behaviour, second by second, free of I/O and of real time.

It lives on true time (the simulated world's UTC, sim/world.py, counted without leaps);
what it reports carries the configured errors and the current scenario's faults.
`second(t)` says what the receiver does at the true second `t`: the true time of its PPS
edge (or None) and the NMEA sentences of that second. `utc_ns(t)` is what a perfect server
serves at the true instant `t`, given the leap second the receiver announces.
"""

from __future__ import annotations

import calendar
import datetime
import random
from dataclasses import dataclass

from hal.gps.types import Antenna, GpsScenario, LeapWarning, Position, Satellite
from sim.gps import sentences

SECOND = 1_000_000_000
ROLLOVER = datetime.timedelta(weeks=1024)
CONSTELLATION = (2, 5, 7, 9, 12, 13, 15, 18, 21, 24, 27, 30)


@dataclass(frozen=True)
class ReceiverSettings:
    """What the simulated receiver does and how well: [gps.sim] of the config, as plain
    values (the composition root converts the section; the defaults are the config's)."""

    scenario: GpsScenario = "locked"
    cold_start_seconds: int = 30
    reacquire_seconds: int = 5
    phase_error_ns: int = 0
    """Constant offset of every PPS edge from true time."""
    pps_jitter_ns: int = 30
    missing_pulse_percent: float = 0.0
    corrupt_percent: float = 0.0
    latitude: float = 48.1173
    longitude: float = 11.5167
    altitude: float = 545.4
    leap_at_ns: int = 0
    """UTC just after the leap the leap scenarios announce; 0: the end of the month."""


@dataclass(frozen=True)
class SecondOutput:
    pps_ns: int | None
    lines: list[str]
    fix: bool


class SimReceiver:
    def __init__(
        self, settings: ReceiverSettings, started_ns: int, seed: int | None = None
    ) -> None:
        self.settings = settings
        self.rng = random.Random(seed)
        self.position = Position(settings.latitude, settings.longitude, settings.altitude)
        self.scenario: GpsScenario = settings.scenario
        self.scenario_started_ns = started_ns
        self.leap_ns = settings.leap_at_ns or _end_of_month_ns(started_ns)

    def inject(self, scenario: GpsScenario, now_ns: int) -> None:
        """Switch scenario at runtime, as a fault injected into a running receiver."""
        self.scenario = scenario
        self.scenario_started_ns = now_ns
        self.leap_ns = self.settings.leap_at_ns or _end_of_month_ns(now_ns)

    def second(self, true_ns: int) -> SecondOutput:
        true_ns -= true_ns % SECOND
        fix, has_time, antenna, visible = self._signal(true_ns)
        label, leap_second = self._label(true_ns)
        utc = label if has_time else None
        satellites = self._satellites(true_ns) if visible else []
        used = [s.prn for s in satellites if s.used] if fix else []
        lines = [
            sentences.rmc(utc, fix, self.position, leap_second),
            sentences.gga(utc, len(used), self.position if fix else None, leap_second),
            sentences.gsa(3 if fix else 1, used),
            *sentences.gsv(satellites),
            sentences.zda(utc, leap_second),
            sentences.antenna_text(antenna),
        ]
        # Sent every second, as receivers that report leap warnings do, "0" meaning none.
        last = datetime.datetime.fromtimestamp(self.leap_ns // SECOND - 1, datetime.UTC)
        lines.append(sentences.leap_notice(self._leap_warning(true_ns), last))
        return SecondOutput(self._pps(true_ns, fix), self._damage(lines), fix)

    def utc_ns(self, true_ns: int) -> int:
        """UTC a perfect server serves at true time `true_ns`: the truth served time is judged
        by. An inserted second is served as 00:00:00.000 held for one second, then the
        labels run a second behind true time; from a deleted 23:59:59 on, a second ahead."""
        leap = self.leap_ns
        if self.scenario == "leap_insert" and true_ns >= leap:
            return leap if true_ns < leap + SECOND else true_ns - SECOND
        if self.scenario == "leap_delete" and true_ns >= leap - SECOND:
            return true_ns + SECOND
        return true_ns

    def _signal(self, true_ns: int) -> tuple[bool, bool, Antenna, bool]:
        """(fix, time known, antenna state, satellites visible) for this second."""
        elapsed = (true_ns - self.scenario_started_ns) / SECOND
        scenario = self.scenario
        if scenario == "cold_start":
            fix = elapsed >= self.settings.cold_start_seconds
            return fix, fix, Antenna.OK, fix
        if scenario == "signal_regained":
            fix = elapsed >= self.settings.reacquire_seconds
            return fix, True, Antenna.OK, True
        if scenario == "antenna_open":
            return False, False, Antenna.OPEN, False
        if scenario == "antenna_short":
            return False, False, Antenna.SHORT, False
        if scenario == "satellites_lost":
            return False, True, Antenna.OK, False
        return True, True, Antenna.OK, True

    def _label(self, true_ns: int) -> tuple[datetime.datetime, bool]:
        """The UTC the receiver prints for this second, and whether it is 23:59:60."""
        seconds = true_ns // SECOND
        leap = self.leap_ns // SECOND
        leap_second = False
        if self.scenario == "leap_insert" and seconds >= leap:
            leap_second = seconds == leap
            seconds -= 1
        elif self.scenario == "leap_delete" and seconds >= leap - 1:
            seconds += 1
        utc = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        if self.scenario == "week_rollover":
            utc -= ROLLOVER
        return utc, leap_second

    def _leap_warning(self, true_ns: int) -> LeapWarning:
        if true_ns >= self.leap_ns:
            return LeapWarning.NONE
        kinds = {"leap_insert": LeapWarning.INSERT, "leap_delete": LeapWarning.DELETE}
        return kinds.get(self.scenario, LeapWarning.NONE)

    def _pps(self, true_ns: int, fix: bool) -> int | None:
        missing = self.settings.missing_pulse_percent
        jitter = self.settings.pps_jitter_ns
        if self.scenario == "pps_jitter":
            missing, jitter = max(missing, 10.0), max(jitter, 1000)
        if not fix or self.rng.random() * 100 < missing:
            return None
        return true_ns + self.settings.phase_error_ns + round(self.rng.gauss(0, jitter))

    def _damage(self, lines: list[str]) -> list[str]:
        percent = self.settings.corrupt_percent
        if self.scenario == "corrupt_sentences":
            percent = max(percent, 20.0)
        if percent == 0:
            return lines
        damaged = []
        for line in lines:
            if self.rng.random() * 100 >= percent:
                damaged.append(line)
            elif self.rng.random() < 0.5:
                cut = self.rng.randrange(1, len(line) - 2)
                damaged.append(line[:cut] + "\r\n")
            else:
                spot = self.rng.randrange(1, len(line) - 5)
                flipped = chr(ord(line[spot]) ^ 0x01)
                damaged.append(line[:spot] + flipped + line[spot + 1 :])
        return damaged

    def _satellites(self, true_ns: int) -> list[Satellite]:
        minutes = true_ns / SECOND / 60
        result = []
        for index, prn in enumerate(CONSTELLATION):
            phase = (index * 30 + minutes * 0.25) % 360
            elevation = int(abs(90 - phase) % 90)
            azimuth = int((index * 47 + minutes * 0.5) % 360)
            snr = 25 + elevation // 4 + (prn % 5)
            result.append(Satellite(prn, elevation, azimuth, snr, elevation >= 10 and snr >= 30))
        return result


def _end_of_month_ns(now_ns: int) -> int:
    """The instant after the last second of this UTC month, where leap seconds happen."""
    now = datetime.datetime.fromtimestamp(now_ns // SECOND, datetime.UTC)
    days = calendar.monthrange(now.year, now.month)[1]
    end = datetime.datetime(now.year, now.month, days, tzinfo=datetime.UTC)
    return (int(end.timestamp()) + 86400) * SECOND
