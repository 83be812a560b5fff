"""The PTP figures of `make bench`: the `master offset` a real ptp4l slave measures with the
appliance as grandmaster, beside ptp4l itself as grandmaster on the same veth pair.

Both grandmasters run in turn in one namespace of a veth pair the bench makes
(tests/interop/ptp_link.py), with software timestamps, domain 0, one Sync a second and an
Announce every two seconds (the appliance's defaults and ptp4l's); a fresh ptp4l slave in the
other namespace follows each. The namespaces share the host's clock, which must never be
steered, so the slave runs `--free_running 1`: its offsets are raw and drift with any rate
difference between the two clocks, and the figures are taken around a straight-line fit
(the jitter), the same way for both. BENCH_PTP_SECONDS (60) is each measuring window.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.interop.ptp_link import (  # noqa: E402
    Link,
    Offset,
    Ptp4l,
    master_offsets,
    ptp_appliance,
    veth_link,
)

SECONDS = float(os.environ.get("BENCH_PTP_SECONDS", "60"))
SETTLE = 5.0
"""Seconds of offsets dropped after the slave's first: its path delay filter fills."""
EVERY_SYNC = "freq_est_interval 0\n"
"""A free-running ptp4l prints an offset once per frequency estimate (every 2 s by default)."""


@dataclass(frozen=True)
class Jitter:
    """What one slave measured over the window, nanoseconds."""

    rms: float
    worst: float
    mean_offset: float
    mean_delay: float
    samples: int


def jitter(window: list[Offset]) -> Jitter:
    """RMS and worst |offset| around the least-squares line through the window."""
    times = [line.at for line in window]
    offsets = [float(line.offset_ns) for line in window]
    slope, intercept = statistics.linear_regression(times, offsets)
    residuals = [o - (slope * t + intercept) for t, o in zip(times, offsets, strict=True)]
    return Jitter(
        rms=(sum(r * r for r in residuals) / len(residuals)) ** 0.5,
        worst=max(abs(r) for r in residuals),
        mean_offset=statistics.fmean(offsets),
        mean_delay=statistics.fmean(line.path_delay_ns for line in window),
        samples=len(window),
    )


def follow(link: Link, work: Path, name: str) -> Jitter:
    """A fresh ptp4l slave follows the grandmaster on the link: its window's figures."""
    slave = Ptp4l(link, work, name, EVERY_SYNC)
    try:
        slave.wait_for(rf"selected best master clock {re.escape(link.gm_clock_identity())}", 60)
        slave.wait_for(r"master offset", 30)
        start = master_offsets(slave.text())[0].at + SETTLE
        deadline = time.monotonic() + SETTLE + SECONDS + 30
        while master_offsets(slave.text())[-1].at < start + SECONDS:
            if time.monotonic() > deadline:
                raise AssertionError(f"ptp4l stopped printing offsets:\n{slave.text()[-2000:]}")
            time.sleep(0.5)
    finally:
        slave.stop()
    lines = master_offsets(slave.text())
    return jitter([line for line in lines if start <= line.at < start + SECONDS])


def measure(work: Path) -> tuple[Jitter, Jitter]:
    """The slave behind the appliance, then behind ptp4l, on one veth pair."""
    with veth_link() as link:
        with ptp_appliance(link, work / "appliance"):
            ours = follow(link, work, "slave-appliance")
        grandmaster = Ptp4l(link, work, "grandmaster", slave=False, at_gm=True)
        try:
            grandmaster.wait_for(r"assuming the grand master role", 30)
            reference = follow(link, work, "slave-ptp4l")
        finally:
            grandmaster.stop()
    return ours, reference


def benchptp_figures() -> str:
    for tool in ("ptp4l", "ip"):
        if shutil.which(tool) is None and shutil.which(tool, path="/usr/sbin:/sbin") is None:
            return f"bench: {tool} is missing (make test installs it)"
    work = Path(tempfile.mkdtemp(prefix="bench-ptp-"))
    (work / "appliance").mkdir()
    ours, ptp4l = measure(work)
    shutil.rmtree(work)
    lines = [
        "",
        f"PTP grandmaster, ptp4l slave on a veth pair, software timestamps, {SECONDS:g} s",
        f"{'':28}{'timeserver':>14}{'ptp4l':>14}{'ratio':>9}",
        f"{'master offset RMS (ns)':28}{ours.rms:>14.0f}{ptp4l.rms:>14.0f}"
        f"{ours.rms / max(1.0, ptp4l.rms):>9.2f}",
        f"{'master offset worst (ns)':28}{ours.worst:>14.0f}{ptp4l.worst:>14.0f}"
        f"{ours.worst / max(1.0, ptp4l.worst):>9.2f}",
        f"{'  raw offset mean (ns)':28}{ours.mean_offset:>+14.0f}{ptp4l.mean_offset:>+14.0f}",
        f"{'  path delay mean (ns)':28}{ours.mean_delay:>14.0f}{ptp4l.mean_delay:>14.0f}",
        f"{'  samples':28}{ours.samples:>14}{ptp4l.samples:>14}",
        f"  slave --free_running 1 (host clock never steered): raw offsets around a linear "
        f"fit, first {SETTLE:g} s dropped; target RMS within 2x of ptp4l's",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(benchptp_figures())
