"""Re-lock after GPS outages of every length, for every oscillator: back within 1 us of true
UTC within ten minutes of LOCKED, the frequency never swinging to the slew limits."""

from collections.abc import Iterator

import pytest

from firmware.timing.sync_state import State
from tests.scenarios.timing_bench import Probe, TimingBench
from tests.scenarios.timing_plans import HOUR, MINUTE, OUTAGES, Plan, bench_for, run_plan

PRESETS = ("tcxo", "ocxo", "rubidium")


def relock(preset: str, outage_s: int, seed: int = 1) -> tuple[list[Probe], list[Probe]]:
    """The probes of the outage, and those of the 40 minutes after the signal returns."""
    plan = Plan("outage", preset, outage_s, seed)
    bench = bench_for(plan)
    before = list(run_plan(Plan("lock", preset, seed=seed), bench))
    assert before[-1].state.state is State.LOCKED
    outage = list(bench.coast(outage_s) if outage_s > 20 * MINUTE else _outage(bench, outage_s))
    bench.inject("locked")
    return outage, list(bench.run(40 * MINUTE))


def _outage(bench: TimingBench, seconds: int) -> Iterator[Probe]:
    bench.inject("antenna_open")
    return bench.run(seconds)


@pytest.mark.parametrize("outage_s", OUTAGES, ids=lambda s: f"{s // 60}min")
@pytest.mark.parametrize("preset", PRESETS)
def test_relocks_within_1_us_after_an_outage(preset: str, outage_s: int) -> None:
    outage, after = relock(preset, outage_s)
    assert outage[-1].state.state in (State.HOLDOVER, State.UNSYNC)
    states = [p.state.state for p in after]
    assert State.LOCKED in states, "never locked again"
    locked = states.index(State.LOCKED)
    assert locked < 5 * MINUTE, f"locked again only after {locked} s"
    assert all(s is State.LOCKED for s in states[locked:])
    settled = after[locked + 10 * MINUTE :]
    worst = max(abs(p.error_ns) for p in settled)
    assert worst < 1_000, f"{worst} ns from true UTC ten minutes after LOCKED"
    # The learned frequency stays with the oscillator's: no swing towards +-500 ppm.
    swing = max(abs(p.state.frequency_ppm + p.frequency_ppm) for p in after)
    assert swing < 1.0, f"frequency off by {swing:.3f} ppm while re-acquiring"
    assert all(abs(p.error_ns) <= p.state.est_error_ns for p in outage + after)


def test_a_long_outage_goes_unsync_and_comes_back_with_the_bound_reset() -> None:
    outage, after = relock("tcxo", 6 * HOUR)
    assert outage[-1].state.state is State.UNSYNC and outage[-1].state.stratum == 16
    assert outage[-1].state.est_error_ns > 1_000_000
    # The first measurement replaces the holdover bound with the error it saw.
    first = next(p for p in after if p.state.est_error_ns < outage[-1].state.est_error_ns)
    assert abs(first.error_ns) <= first.state.est_error_ns < 1.2 * abs(first.error_ns) + 10_000
    locked = next(n for n, p in enumerate(after) if p.state.state is State.LOCKED)
    # The receiver's noise is learned again after the gap: cautious at first, below the
    # 15 us unit of NTP's root dispersion, then as tight as before the outage.
    assert after[locked].state.est_error_ns < 15_000 and after[locked].state.holdover_s == 0
    assert after[locked + 10 * MINUTE].state.est_error_ns < 500
