"""Which kernel timestamps the grandmaster takes ([services.ptp] timestamping): hardware when
the interface offers it (`ethtool -T`) and its driver accepts it, software otherwise, saying
why; and moving each stamp to host realtime (a hardware stamp is on the NIC's PHC)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from hal.net_timestamping import (
    Decision,
    RxFilter,
    TimestampingInfo,
    decide,
    enable_hardware,
    read_ts_info,
    refused,
)
from hal.phc import PhcClock


class TimestampingError(Exception):
    """`timestamping = "hardware"` and the interface cannot give it; says why."""


@dataclass
class Timestamps:
    decision: Decision
    phc: PhcClock | None = None

    @property
    def hardware(self) -> bool:
        return self.phc is not None

    def host_ns(self, stamp_ns: int) -> int:
        """A kernel timestamp as host realtime."""
        return self.phc.system_ns(stamp_ns) if self.phc is not None else stamp_ns

    def close(self) -> None:
        if self.phc is not None:
            self.phc.close()
            self.phc = None


def _reason(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


def open_timestamps(
    requested: str,
    interface: str,
    probe: Callable[[str], TimestampingInfo] = read_ts_info,
    enable: Callable[[str, RxFilter], None] = enable_hardware,
    open_phc: Callable[[int], PhcClock] = PhcClock,
) -> Timestamps:
    """Ask the interface, switch hardware stamping on when chosen, open its PHC; fall back to
    software with the reason, or raise TimestampingError when hardware was required."""
    try:
        decision = decide(requested, probe(interface))
    except OSError as exc:
        decision = Decision(False, reason=f"the interface cannot be asked: {_reason(exc)}")
    phc = None
    if decision.hardware:
        try:
            enable(interface, decision.rx_filter)
        except OSError as exc:
            decision = refused(exc)
    if decision.hardware:
        try:
            phc = open_phc(decision.phc_index)
        except OSError as exc:
            reason = f"/dev/ptp{decision.phc_index} cannot be opened: {_reason(exc)}"
            decision = Decision(False, reason=reason)
    if requested == "hardware" and phc is None:
        raise TimestampingError(f"no hardware timestamping on {interface}: {decision.reason}")
    return Timestamps(decision, phc)
