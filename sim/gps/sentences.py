"""Writing NMEA 0183 sentences as a receiver does (talker GP, checksummed)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from functools import reduce

from hal.gps.types import Antenna, LeapWarning, Position, Satellite


def checksummed(body: str) -> str:
    checksum = reduce(lambda acc, ch: acc ^ ord(ch), body, 0)
    return f"${body}*{checksum:02X}\r\n"


def _clock(utc: datetime.datetime | None, leap_second: bool = False) -> str:
    if utc is None:
        return ""
    seconds = 60 if leap_second else utc.second
    return f"{utc:%H%M}{seconds:02d}.00"


def _angle(value: float | None, degree_digits: int, hemispheres: str) -> tuple[str, str]:
    """ddmm.mmmm (latitude) or dddmm.mmmm (longitude) and its hemisphere letter."""
    if value is None:
        return "", ""
    degrees = int(abs(value))
    minutes = (abs(value) - degrees) * 60
    return f"{degrees:0{degree_digits}d}{minutes:07.4f}", hemispheres[0 if value >= 0 else 1]


def _lat(position: Position | None) -> tuple[str, str]:
    return _angle(position.latitude if position else None, 2, "NS")


def _lon(position: Position | None) -> tuple[str, str]:
    return _angle(position.longitude if position else None, 3, "EW")


def rmc(utc: datetime.datetime | None, fix: bool, position: Position | None, leap: bool) -> str:
    lat, ns = _lat(position if fix else None)
    lon, ew = _lon(position if fix else None)
    date = f"{utc:%d%m%y}" if utc else ""
    mode = "A" if fix else "N"
    status = "A" if fix else "V"
    where = f"{lat},{ns},{lon},{ew}"
    return checksummed(f"GPRMC,{_clock(utc, leap)},{status},{where},0.0,,{date},,,{mode}")


def gga(utc: datetime.datetime | None, used: int, position: Position | None, leap: bool) -> str:
    fix = position is not None
    lat, ns = _lat(position)
    lon, ew = _lon(position)
    altitude = f"{position.altitude:.1f}" if position and position.altitude is not None else ""
    units = "M" if altitude else ""
    return checksummed(
        f"GPGGA,{_clock(utc, leap)},{lat},{ns},{lon},{ew},{1 if fix else 0},{used:02d},"
        f"{'0.9' if fix else ''},{altitude},{units},{'47.0' if fix else ''},{units},,"
    )


def gsa(mode: int, used: Sequence[int]) -> str:
    slots = [f"{prn:02d}" for prn in used[:12]] + [""] * (12 - min(len(used), 12))
    dops = "1.6,0.9,1.3" if mode > 1 else ",,"
    return checksummed(f"GPGSA,A,{mode},{','.join(slots)},{dops}")


def gsv(satellites: Sequence[Satellite]) -> list[str]:
    if not satellites:
        return [checksummed("GPGSV,1,1,00")]
    groups = [satellites[n : n + 4] for n in range(0, len(satellites), 4)]
    lines = []
    for number, group in enumerate(groups, start=1):
        fields = []
        for sat in group:
            snr = "" if sat.snr is None else f"{sat.snr:02d}"
            fields.append(f"{sat.prn:02d},{sat.elevation or 0:02d},{sat.azimuth or 0:03d},{snr}")
        body = f"GPGSV,{len(groups)},{number},{len(satellites):02d},{','.join(fields)}"
        lines.append(checksummed(body))
    return lines


def zda(utc: datetime.datetime | None, leap: bool) -> str:
    date = f"{utc:%d,%m,%Y}" if utc else ",,"
    return checksummed(f"GPZDA,{_clock(utc, leap)},{date},00,00")


def antenna_text(antenna: Antenna) -> str:
    return checksummed(f"GPTXT,01,01,02,ANTSTATUS={antenna.value.upper()}")


def leap_notice(warning: LeapWarning, last: datetime.datetime) -> str:
    """Our own sentence: the leap warning, and the last UTC second before the leap (23:59:59
    of the month's last day, for real leaps; any second when one is rehearsed)."""
    value = {LeapWarning.INSERT: "+1", LeapWarning.DELETE: "-1", LeapWarning.NONE: "0"}[warning]
    return checksummed(f"PTSV,LEAP,{value},{last:%Y%m%d},{last:%H%M%S}")
