"""The timing figures of `make bench`: how tight the error bound is over random scenarios,
and how long re-locking takes after a one-hour outage, per oscillator (stepped clock)."""

from __future__ import annotations

import os
import random
import statistics

from firmware.timing.sync_state import State
from hal.oscillator import PRESETS
from tests.scenarios.timing_bench import EVERY_PART
from tests.scenarios.timing_plans import HOUR, MINUTE, OUTAGES, SCENARIOS, Plan, bench_for, run_plan

PLANS = int(os.environ.get("BENCH_TIMING_PLANS", "100"))
SEEDS = (1, 2, 3)


def random_plan(rng: random.Random) -> Plan:
    """Drawn as the property test draws them (tests/scenarios/test_error_bound.py)."""
    outage = rng.choice([*OUTAGES, rng.randint(10, 86400)])
    return Plan(
        rng.choice(sorted(SCENARIOS)), rng.choice(sorted(PRESETS)), outage,
        rng.randrange(2**32), rng.randint(-50_000_000, 50_000_000), rng.uniform(-100.0, 100.0),
    )  # fmt: skip


def bound_tightness(plans: int) -> tuple[float, int, Plan | None]:
    """The lowest est_error / |true error| over every probe, the probes that broke the bound
    (must be none), and the plan of the lowest ratio."""
    rng = random.Random(2026)
    lowest, broken, where = float("inf"), 0, None
    for _ in range(plans):
        plan = random_plan(rng)
        for probe in run_plan(plan, bench_for(plan, EVERY_PART)):
            error = abs(probe.error_ns)
            if error > probe.state.est_error_ns:
                broken += 1
            if error and probe.state.est_error_ns / error < lowest:
                lowest, where = probe.state.est_error_ns / error, plan
    return lowest, broken, where


def relock_after_an_hour(preset: str, seed: int) -> tuple[int, int]:
    """Seconds from the signal's return to LOCKED, and the worst error 10 minutes later."""
    bench = bench_for(Plan("lock", preset, seed=seed))
    for _ in run_plan(Plan("lock", preset, seed=seed), bench):
        pass
    for _ in bench.coast(HOUR):
        pass
    bench.inject("locked")
    probes = list(bench.run(30 * MINUTE))
    locked = next(n for n, p in enumerate(probes) if p.state.state is State.LOCKED)
    return locked, max(abs(p.error_ns) for p in probes[locked + 10 * MINUTE :])


def timing_figures() -> str:
    lines = ["", "Timing discipline (stepped clock, simulated receiver and oscillator)"]
    for preset in sorted(PRESETS):
        runs = [relock_after_an_hour(preset, seed) for seed in SEEDS]
        mean = statistics.mean(seconds for seconds, _ in runs)
        worst = max(error for _, error in runs)
        lines.append(
            f"  re-lock after a 1 h outage, {preset:9} {mean:5.0f} s (seeds {len(SEEDS)}), "
            f"worst error 10 min later {worst} ns"
        )
    lowest, broken, where = bound_tightness(PLANS)
    lines.append(
        f"  est_error / |true error|, lowest over {PLANS} random scenarios: {lowest:.3f} "
        f"(bound broken at {broken} probes)"
    )
    if where is not None:
        lines.append(f"    lowest in {where.scenario}, {where.preset}, outage {where.outage_s} s")
    return "\n".join(lines)


if __name__ == "__main__":
    print(timing_figures())
