"""The system variables a worker answers mode 6 READVAR with (`ntpq -c rv`)."""

from __future__ import annotations

import platform

from firmware import __version__
from services.ntp.control import milliseconds
from services.ntp.packet import ns_to_ntp
from services.ntp.policy import PRECISION, stale_state
from services.ntp.worker_clock import WorkerClock


def system_values(clock: WorkerClock, stale: bool) -> dict[str, str]:
    """Name to value as ntpd shows them, from the clock's last snapshot; a stale snapshot
    announces itself as the replies do."""
    sync = clock.sync
    assert sync is not None
    if stale:
        sync = stale_state(sync)
    reference = clock.to_served(clock.reference) if clock.reference else 0
    return {
        "version": f'"timeserver {__version__}"',
        "processor": f'"{platform.machine()}"',
        "system": f'"{platform.system()}"',
        "leap": f"{int(sync.leap):02b}",
        "stratum": str(sync.stratum),
        "precision": str(PRECISION),
        "rootdelay": "0.000",
        "rootdisp": milliseconds(sync.root_dispersion_ns),
        "refid": sync.refid,
        "reftime": _hex_stamp(ns_to_ntp(reference)),
        "clock": _hex_stamp(ns_to_ntp(clock.now_ns())),
        "frequency": f"{sync.frequency_ppm:.3f}",
        "sys_jitter": f"{sync.est_error_ns / 1e6:.6f}",
        "sync_state": '"STALE"' if stale else f'"{sync.state.value}"',
    }


def _hex_stamp(timestamp: int) -> str:
    return f"0x{timestamp >> 32:08x}.{timestamp & 0xFFFFFFFF:08x}"
