"""What the sync state makes of the grandmaster (IEEE 1588-2019 clauses 7.6.2 and 8.2.4):
clockClass from the state (firmware/timing/sync_state.py), clockAccuracy and
offsetScaledLogVariance from the estimated error, and the time properties with the UTC
offset from the leap table. Pure: served time and the table are passed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from firmware.timing.leapfile import LeapTable
from firmware.timing.leaps import LeapEvent
from firmware.timing.sync_state import UNKNOWN_ERROR_NS, Leap, State, SyncState
from services.ptp.datasets import TimeSource
from services.ptp.messages import ClockQuality, Flag
from services.ptp.port import TimeProperties

SECOND = 1_000_000_000
LEAP_WARNING_NS = 12 * 3600 * SECOND
"""leap59/leap61 are set during the last 12 hours before the leap (clause 8.2.4.4)."""
FALLBACK_UTC_OFFSET = 37
"""TAI - UTC since 2017, announced as not valid when no leap table says so."""
UNKNOWN_ACCURACY = 0xFE
UNKNOWN_VARIANCE = 0xFFFF
TRACEABLE = frozenset({State.LOCKED, State.HOLDOVER})

# clockAccuracy (table 5): the smallest bound that holds the error -> its code.
ACCURACY: tuple[tuple[int, int], ...] = (
    (25, 0x20), (100, 0x21), (250, 0x22), (1_000, 0x23), (2_500, 0x24), (10_000, 0x25),
    (25_000, 0x26), (100_000, 0x27), (250_000, 0x28), (1_000_000, 0x29), (2_500_000, 0x2A),
    (10_000_000, 0x2B), (25_000_000, 0x2C), (100_000_000, 0x2D), (250_000_000, 0x2E),
    (SECOND, 0x2F), (10 * SECOND, 0x30),
)  # fmt: skip


def clock_accuracy(est_error_ns: int) -> int:
    if est_error_ns >= UNKNOWN_ERROR_NS:
        return UNKNOWN_ACCURACY
    for bound, code in ACCURACY:
        if est_error_ns <= bound:
            return code
    return 0x31  # worse than 10 s


def scaled_log_variance(est_error_ns: int) -> int:
    """offsetScaledLogVariance (clause 7.6.3.3): log2 of the variance in s**2, times 2**8,
    offset by 0x8000; the estimated error taken as one standard deviation."""
    if est_error_ns >= UNKNOWN_ERROR_NS:
        return UNKNOWN_VARIANCE
    sigma_s = max(est_error_ns, 1) / SECOND
    value = math.ceil(math.log2(sigma_s * sigma_s) * 256) + 0x8000
    return min(UNKNOWN_VARIANCE - 1, max(0, value))


def utc_offset(
    table: LeapTable | None, served_ns: int, leaps: Iterable[LeapEvent] = ()
) -> tuple[int, bool]:
    """TAI - UTC now, and whether a leap table that has not expired says so. A leap the
    discipline has served that the table does not hold (one announced by the receiver
    before the file was updated, or a rehearsal's) counts as well: PTP time is served UTC
    plus this offset and must not jump back by the second served UTC repeated."""
    now_s = served_ns // SECOND
    offset, valid = FALLBACK_UTC_OFFSET, False
    known: set[int] = set()
    if table is not None:
        offset, valid = table.tai_offset(now_s), now_s < table.expires_unix
        known = {start for start, _ in table.entries}
    for leap in leaps:
        if leap.utc_at_ns <= served_ns and leap.utc_at_ns // SECOND not in known:
            offset += leap.sign
    return offset, valid


def leap_flags(sync: SyncState, leap_at_ns: int | None, served_ns: int) -> int:
    """leap61 or leap59 while the announced leap is less than 12 hours away."""
    if leap_at_ns is None or not 0 < leap_at_ns - served_ns <= LEAP_WARNING_NS:
        return 0
    return {Leap.INSERT: Flag.LEAP61, Leap.DELETE: Flag.LEAP59}.get(sync.leap_pending, 0)


def time_properties(
    sync: SyncState,
    served_ns: int,
    table: LeapTable | None,
    leap_at_ns: int | None,
    leaps: Iterable[LeapEvent] = (),
) -> TimeProperties:
    quality = ClockQuality(
        sync.ptp_clock_class, clock_accuracy(sync.est_error_ns),
        scaled_log_variance(sync.est_error_ns),
    )  # fmt: skip
    offset, valid = utc_offset(table, served_ns, leaps)
    flags = Flag.PTP_TIMESCALE | leap_flags(sync, leap_at_ns, served_ns)
    if valid:
        flags |= Flag.UTC_OFFSET_VALID
    if sync.state in TRACEABLE:
        flags |= Flag.TIME_TRACEABLE | Flag.FREQUENCY_TRACEABLE
    return TimeProperties(quality, offset, flags, TimeSource.GNSS)
