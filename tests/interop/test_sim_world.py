"""The appliance serves the simulated world's true UTC, not the host's time: chronyd, a real
client on the host clock, measures the offset injected into the world, and the status
compares served time with the world's truth."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.ntp_appliance import boot_locked, chronyd_offset, ntp_config, status_tree
from tests.scenarios.appliance import Booted
from tests.tools import free_port

OFFSET_NS = 2_500_000
CHRONYD_TOLERANCE_NS = 20_000
# Locked to a PPS with 30 ns of jitter, served time is well within a microsecond of truth.
TRUE_ERROR_LIMIT_NS = 3_000


def boot_world(directory: Path, world: str) -> tuple[Booted, int]:
    port = free_port(socket.SOCK_DGRAM)
    return boot_locked(directory, ntp_config(port) + f"[gps.sim]\n{world}"), port


def assert_served_close_to_truth(booted: Booted, samples: int = 5) -> list[dict[str, Any]]:
    """Several looks a fraction of a second apart, each within the estimate and small."""
    seen = []
    for _ in range(samples):
        tree = status_tree(booted)
        sim, timing = tree["sim"], tree["timing"]
        assert timing["sync_state"] == "LOCKED"
        assert abs(sim["true_error_ns"]) <= timing["est_error_ns"], (sim, timing)
        assert abs(sim["true_error_ns"]) < TRUE_ERROR_LIMIT_NS, sim
        seen.append(sim)
        time.sleep(0.7)
    return seen


@pytest.fixture(scope="module")
def offset_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Booted, int]]:
    booted, port = boot_world(tmp_path_factory.mktemp("world"), f"clock_offset_ns = {OFFSET_NS}\n")
    yield booted, port
    booted.stop()


def test_chronyd_measures_the_offset_injected_into_the_world(
    offset_world: tuple[Booted, int],
) -> None:
    _, port = offset_world
    offset = chronyd_offset(port, None, None)
    # chronyd -Q prints what the host clock would have to gain to agree with the server: the
    # appliance serves host time + 2.5 ms, so the host clock is 2.5 ms behind it.
    assert offset is not None
    assert abs(offset * 1e9 - OFFSET_NS) <= CHRONYD_TOLERANCE_NS, offset


def test_served_time_is_true_utc_within_its_estimated_error(
    offset_world: tuple[Booted, int],
) -> None:
    booted, _ = offset_world
    for sim in assert_served_close_to_truth(booted):
        assert sim["offset_ns"] == OFFSET_NS and sim["frequency_ppm"] == 0.0


def test_a_world_running_5_ppm_fast_stays_locked_and_close(tmp_path: Path) -> None:
    booted, _ = boot_world(tmp_path, "clock_ppm = 5.0\n")
    try:
        seen = assert_served_close_to_truth(booted, samples=8)
    finally:
        booted.stop()
    # The world really moved away from the host clock meanwhile: 5 us a second.
    assert seen[-1]["offset_ns"] - seen[0]["offset_ns"] > 5 * 7 * 0.7 * 1_000 * 0.8
