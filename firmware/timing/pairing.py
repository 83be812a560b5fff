"""Pairing a receiver's reports: the PPS edge that began the second an NMEA time describes,
and that time taken back out of a GPS week-number rollover."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from firmware.timing.leaps import SECOND
from hal.gps.types import PpsEdge

ROLLOVER_NS = 1024 * 7 * 86400 * SECOND
# No receiver report can be older than this firmware: earlier dates are week-number rollover.
EARLIEST_VALID_NS = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).timestamp()) * SECOND


def edge_for(edges: Sequence[PpsEdge], received_ns: int) -> PpsEdge | None:
    """The PPS that began the second the NMEA describes: the last edge before it came."""
    for edge in reversed(edges):
        if received_ns - SECOND < edge.host_ns <= received_ns:
            return edge
    return None


def unroll_weeks(utc_ns: int) -> int:
    """The receiver's UTC moved forward by whole 1024-week eras until it is plausible."""
    corrected = utc_ns
    while corrected < EARLIEST_VALID_NS:
        corrected += ROLLOVER_NS
    return corrected
