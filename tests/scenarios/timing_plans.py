"""Whole timing scenarios on the stepped clock: what the receiver does, minute by minute, for
the error-bound property (test_error_bound.py), the outage table and `make bench`."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from firmware.base.config.schema import Timing
from hal.gps.types import GpsScenario
from hal.oscillator import PRESETS
from sim.gps.receiver import SECOND, ReceiverSettings
from sim.oscillator import Oscillator
from tests.scenarios.timing_bench import PROBES_IN_A_SECOND, Probe, TimingBench

MINUTE = 60
HOUR = 3600
START = int(datetime.datetime(2026, 11, 26, 12, tzinfo=datetime.UTC).timestamp()) * SECOND
BEFORE_LEAP = int(datetime.datetime(2026, 12, 31, 23, 45, tzinfo=datetime.UTC).timestamp())
OUTAGES = (MINUTE, 20 * MINUTE, HOUR, 6 * HOUR, 24 * HOUR)
LONGEST_RUN_OUTAGE = 20 * MINUTE
"""Outages up to this long run second by second through the NMEA path; longer ones coast."""

# Each scenario as steps: ("run", seconds), ("inject", scenario) or ("outage", 0), which
# takes the plan's outage length. Every plan starts cold: the servo has not started.
SCENARIOS: dict[str, tuple[tuple[str, object], ...]] = {
    "lock": (("run", 20 * MINUTE),),
    "outage": (("run", 15 * MINUTE), ("outage", 0), ("inject", "locked"), ("run", 15 * MINUTE)),
    "cold_start": (("run", 15 * MINUTE),),
    "antenna_open": (
        ("run", 10 * MINUTE), ("inject", "antenna_open"), ("outage", 0),
        ("inject", "signal_regained"), ("run", 15 * MINUTE),
    ),
    "antenna_short": (
        ("run", 10 * MINUTE), ("inject", "antenna_short"), ("outage", 0),
        ("inject", "signal_regained"), ("run", 15 * MINUTE),
    ),
    "satellites_lost": (
        ("run", 10 * MINUTE), ("inject", "satellites_lost"), ("outage", 0),
        ("inject", "signal_regained"), ("run", 15 * MINUTE),
    ),
    "early_outage": (("run", 3), ("outage", 0), ("inject", "locked"), ("run", 15 * MINUTE)),
    "brief_return": (
        ("run", 15 * MINUTE), ("outage", 0), ("inject", "locked"), ("run", 3), ("outage", 0),
        ("inject", "locked"), ("run", 15 * MINUTE),
    ),
    "noisy_return": (
        ("run", 10 * MINUTE), ("outage", 0), ("inject", "pps_jitter"), ("run", 15 * MINUTE),
    ),
    "pps_jitter": (("run", 20 * MINUTE),),
    "missing_pulses": (("run", 20 * MINUTE),),
    "leap_insert": (("run", 25 * MINUTE),),
    "leap_delete": (("run", 25 * MINUTE),),
    "week_rollover": (("run", 15 * MINUTE),),
    "corrupt_sentences": (("run", 15 * MINUTE),),
}  # fmt: skip

STARTING_SCENARIO: dict[str, GpsScenario] = {
    "cold_start": "cold_start",
    "pps_jitter": "pps_jitter",
    "leap_insert": "leap_insert",
    "leap_delete": "leap_delete",
    "week_rollover": "week_rollover",
    "corrupt_sentences": "corrupt_sentences",
}


@dataclass(frozen=True)
class Plan:
    scenario: str
    preset: str = "tcxo"
    outage_s: int = HOUR
    seed: int = 1
    phase_ns: int = 0
    """The host clock's error at the start: what the start-up step removes."""
    frequency_ppm: float | None = None
    """The host oscillator's frequency error; None takes the preset's typical one."""


def bench_for(plan: Plan, probes: tuple[int, ...] = PROBES_IN_A_SECOND) -> TimingBench:
    start = BEFORE_LEAP * SECOND if plan.scenario.startswith("leap_") else START
    gps = ReceiverSettings(
        scenario=STARTING_SCENARIO.get(plan.scenario, "locked"),
        missing_pulse_percent=30.0 if plan.scenario == "missing_pulses" else 0.0,
    )
    oscillator = Oscillator(
        PRESETS[plan.preset], start - SECOND, phase_ns=plan.phase_ns,
        frequency_ppm=plan.frequency_ppm, seed=plan.seed,
    )  # fmt: skip
    timing = Timing(oscillator=plan.preset)  # type: ignore[arg-type]
    return TimingBench(start, timing, gps, oscillator, plan.seed, probes)


def run_plan(plan: Plan, bench: TimingBench | None = None) -> Iterator[Probe]:
    """Every probe of the plan, in order (the bench's probes: by default one a second)."""
    bench = bench or bench_for(plan)
    for action, argument in SCENARIOS[plan.scenario]:
        if action == "run":
            yield from bench.run(int(argument))  # type: ignore[call-overload]
        elif action == "inject":
            bench.inject(argument)  # type: ignore[arg-type]
        elif plan.outage_s > LONGEST_RUN_OUTAGE:
            yield from bench.coast(plan.outage_s)
        else:
            if bench.receiver.scenario in ("locked", "signal_regained"):
                bench.inject("antenna_open")
            yield from bench.run(plan.outage_s)
