"""The composition root turns [gps.sim] and [timing] into the simulated world."""

import pytest

from firmware.base.config.schema import Config, SimGps
from firmware.boot import SERVICES
from firmware.devices import receiver_settings, sim_world
from hal.oscillator import PRESETS
from sim.gps.receiver import ReceiverSettings

START = 1_800_000_000 * 10**9
HOUR = 3600 * 10**9


def config(sim: dict[str, object], oscillator: str = "tcxo", backend: str = "sim") -> Config:
    return Config.model_validate(
        {"gps": {"backend": backend, "sim": sim}, "timing": {"oscillator": oscillator}}
    )


def test_the_default_world_is_the_host_clock() -> None:
    world = sim_world(config({}), START)
    assert [world.true_ns(START + n * HOUR) for n in range(3)] == [
        START + n * HOUR for n in range(3)
    ]


def test_offset_and_frequency_come_from_gps_sim() -> None:
    world = sim_world(config({"clock_offset_ns": 2_500_000, "clock_ppm": 5.0}), START)
    assert world.true_ns(START + HOUR) - (START + HOUR) == 2_500_000 + 18_000_000


@pytest.mark.parametrize("oscillator", ["tcxo", "ocxo", "rubidium"])
def test_wander_is_the_timing_oscillators_and_only_when_asked(oscillator: str) -> None:
    wandering = sim_world(config({"clock_wander": True, "seed": 9}, oscillator), START)
    assert wandering.walk.spec.wander_ppm_per_sqrt_s == PRESETS[oscillator].wander_ppm_per_sqrt_s
    still = sim_world(config({"seed": 9}, oscillator), START)
    assert still.walk.spec.wander_ppm_per_sqrt_s == 0.0


def test_the_receiver_restarts_for_a_new_oscillator_only_when_its_world_wanders() -> None:
    (gps,) = [spec for spec in SERVICES if spec.name == "gps"]
    for sim, backend, restarts in (
        ({"clock_wander": True}, "sim", True),
        ({}, "sim", False),
        ({"clock_wander": True}, "gpsd", False),
    ):
        before, after = config(sim, "tcxo", backend), config(sim, "ocxo", backend)
        assert (gps.settings(before) != gps.settings(after)) == restarts


def test_the_sim_receiver_gets_gps_sim_as_plain_values_with_the_same_defaults() -> None:
    assert receiver_settings(SimGps()) == ReceiverSettings()
    section = SimGps(scenario="pps_jitter", pps_jitter_ns=700, corrupt_percent=5.0)
    assert receiver_settings(section) == ReceiverSettings(
        scenario="pps_jitter", pps_jitter_ns=700, corrupt_percent=5.0
    )
