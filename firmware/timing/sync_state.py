"""How good the served time is, and what each protocol says about it.

| state    | meaning                                  | stratum | LI        | refid | clockClass |
|----------|------------------------------------------|---------|-----------|-------|------------|
| FREERUN  | no lock since boot                       | 16      | 3 (alarm) | INIT  | 248        |
| LOCKED   | disciplined to GPS and PPS               | 1       | leap      | GPS   | 6          |
| HOLDOVER | reference lost, error within the budget  | 1       | leap      | GPS   | 7          |
| UNSYNC   | holdover budget exceeded                 | 16      | 3 (alarm) | LOST  | 52         |

In HOLDOVER the root dispersion grows with the estimated error, so clients weigh the server
down as it ages; clockClass 52 is IEEE 1588's "degraded, was 7, out of holdover spec".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

UNKNOWN_ERROR_NS = 1 << 62
"""The estimated error before anything was measured: unbounded, shown as unknown."""


def error_text(est_error_ns: object) -> str:
    """An estimated error as consoles show it."""
    if not isinstance(est_error_ns, int) or est_error_ns >= UNKNOWN_ERROR_NS:
        return "unknown"
    return f"{est_error_ns} ns"


class State(Enum):
    FREERUN = "FREERUN"
    LOCKED = "LOCKED"
    HOLDOVER = "HOLDOVER"
    UNSYNC = "UNSYNC"


MEANING = {
    "FREERUN": "no lock since boot",
    "LOCKED": "disciplined to GPS and PPS",
    "HOLDOVER": "reference lost, error within the budget",
    "UNSYNC": "holdover budget exceeded",
}
"""What each state means, in the words of the table above (consoles and the web show it)."""


class Leap(IntEnum):
    """NTP leap indicator values (RFC 5905)."""

    NONE = 0
    INSERT = 1
    DELETE = 2
    ALARM = 3


@dataclass(frozen=True)
class StateMapping:
    stratum: int
    refid: str
    clock_class: int
    synchronised: bool


MAPPING = {
    State.FREERUN: StateMapping(16, "INIT", 248, False),
    State.LOCKED: StateMapping(1, "GPS", 6, True),
    State.HOLDOVER: StateMapping(1, "GPS", 7, True),
    State.UNSYNC: StateMapping(16, "LOST", 52, False),
}


@dataclass(frozen=True)
class SyncState:
    state: State
    stratum: int
    leap: Leap
    refid: str
    root_dispersion_ns: int
    est_error_ns: int
    ptp_clock_class: int
    leap_pending: Leap
    """The leap announced for the end of this month, whether or not LI shows it yet."""
    frequency_ppm: float
    holdover_s: float
    last_pps_ns: int | None
    satellites_used: int

    def as_dict(self) -> dict[str, object]:
        return {
            "sync_state": self.state.value,
            "stratum": self.stratum,
            "leap_indicator": int(self.leap),
            "refid": self.refid,
            "root_dispersion_ns": self.root_dispersion_ns,
            "est_error_ns": self.est_error_ns,
            "ptp_clock_class": self.ptp_clock_class,
            "leap_pending": self.leap_pending.name.lower(),
            "frequency_ppm": round(self.frequency_ppm, 4),
            "holdover_s": round(self.holdover_s, 1),
            "last_pps_ns": self.last_pps_ns,
            "satellites_used": self.satellites_used,
        }


def make_state(
    state: State,
    est_error_ns: int,
    leap_today: Leap,
    leap_pending: Leap,
    frequency_ppm: float,
    holdover_s: float,
    last_pps_ns: int | None,
    satellites_used: int,
) -> SyncState:
    """The one place that turns a discipline state into what protocols announce."""
    mapping = MAPPING[state]
    leap = leap_today if mapping.synchronised else Leap.ALARM
    return SyncState(
        state, mapping.stratum, leap, mapping.refid, est_error_ns, est_error_ns,
        mapping.clock_class, leap_pending, frequency_ppm, holdover_s, last_pps_ns,
        satellites_used,
    )  # fmt: skip
