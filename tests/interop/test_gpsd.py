"""The simulated receiver speaks real NMEA: gpsd reads its pty; our gpsd client reads gpsd."""

import asyncio
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from firmware.timing.sync_state import State
from hal.clock import HostClock
from hal.gps.gpsd_client import GpsdReceiver, parse_time
from hal.gps.types import FixMode
from sim.gps.receiver import SECOND, ReceiverSettings, SimReceiver
from tests.hal.gps.recorder import Recorder
from tests.interop.gpsd import gpspipe_reports, start_gpsd, start_gpsfake
from tests.scenarios.appliance import ROOT, Booted, timeserver, write_config
from tests.tools import stop_process


def start_sim(link: Path, scenario: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "firmware.cli",
            "sim",
            "gps",
            "--link",
            str(link),
            "--scenario",
            scenario,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith(b"simulated GPS receiver on /dev/pts/")
    assert link.is_symlink()
    return process


@pytest.mark.parametrize("scenario", ["locked", "antenna_open"])
def test_gpsd_reads_the_simulated_receiver(tmp_path: Path, scenario: str) -> None:
    link = tmp_path / "gps0"
    sim = start_sim(link, scenario)
    gpsd, port = start_gpsd(link, tmp_path)
    try:
        reports = gpspipe_reports(port, 15 if scenario == "locked" else 8)
        now = time.time()
    finally:
        stop_process(gpsd)
        stop_process(sim)
    assert not link.exists()
    tpv = [r for r in reports if r["class"] == "TPV"]
    assert tpv, reports
    if scenario == "locked":
        fixed = [r for r in tpv if r.get("mode") == 3]
        assert fixed, tpv
        assert abs(parse_time(str(fixed[-1]["time"])) / 1e9 - now) < 3
        sky = [r for r in reports if r["class"] == "SKY"]
        assert sky and sky[-1]["uSat"] >= 4  # type: ignore[operator]
    else:
        assert all(r.get("mode", 0) <= 1 for r in tpv), tpv


async def test_gpsd_backend_against_gpsfake(tmp_path: Path) -> None:
    start = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).timestamp()) * SECOND
    sim = SimReceiver(ReceiverSettings(), start, seed=1)
    log = tmp_path / "receiver.nmea"
    log.write_text("".join("".join(sim.second(start + n * SECOND).lines) for n in range(30)))
    gpsfake, port = start_gpsfake(log)
    receiver = GpsdReceiver("127.0.0.1", port, "", HostClock())
    recorder = Recorder()
    try:
        await receiver.start(recorder)
        for _ in range(200):
            if len([s for s in recorder.samples if s.fix == FixMode.THREE_D]) >= 5:
                break
            await asyncio.sleep(0.05)
    finally:
        await receiver.stop()
        stop_process(gpsfake)
    fixed = [s for s in recorder.samples if s.fix == FixMode.THREE_D]
    assert len(fixed) >= 5
    times = [s.utc_ns for s in recorder.samples if s.utc_ns is not None]
    assert times == sorted(set(times)), "one sample per second, in order"
    assert all((t - start) % SECOND == 0 and start <= t < start + 30 * SECOND for t in times)
    assert any(len(s.satellites) == 12 for s in fixed)
    assert receiver.status()["malformed"] == 0


def test_gpsd_on_the_appliances_link_never_disturbs_its_lock(tmp_path: Path) -> None:
    """gpsd reads the link for a minute while the appliance stays LOCKED on the same
    receiver: the link is a copy of the stream, not a second reader of the appliance's pty."""
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "config.toml", '[timing]\nlock_samples = 3\n[gps.sim]\nlink = "gps0"\n'
    )
    booted = Booted(data, config)
    booted.wait_event("timing.locked")
    gpsd, port = start_gpsd(data / "links" / "gps0", tmp_path)
    try:
        reports = gpspipe_reports(port, 10_000, seconds=75, duration=60)
    finally:
        stop_process(gpsd)
    status = json.loads(timeserver("status", "--data-dir", str(data), "--json").stdout)
    changes = {f"timing.{state.value.lower()}" for state in State}
    states = [e["kind"] for e in booted.events() if e["kind"] in changes]
    assert booted.stop()[0] == 0
    assert states == ["timing.locked"], states
    assert status["timing"]["sync_state"] == "LOCKED"
    assert status["gps"]["malformed"] == status["gps"]["bad_checksum"] == 0
    assert status["gps"]["device"]["seconds_dropped"] == 0
    seconds = sorted({r["time"] for r in reports if r["class"] == "TPV" and r.get("mode") == 3})
    stamps = [parse_time(str(t)) // SECOND for t in seconds]
    # gpsd reported every second, once it had its first fix (a few seconds at the start).
    assert len(stamps) >= 54 and stamps == list(range(stamps[0], stamps[-1] + 1)), stamps
