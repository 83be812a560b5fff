"""The figures of the timing discipline, on the stepped clock with the simulated receiver."""

import datetime

import pytest

from firmware.base.config.schema import Timing
from firmware.timing.sync_state import Leap, State
from hal.oscillator import PRESETS
from sim.gps.receiver import SECOND, ReceiverSettings
from sim.oscillator import Oscillator
from tests.scenarios.timing_bench import TimingBench

START = int(datetime.datetime(2026, 11, 26, 12, tzinfo=datetime.UTC).timestamp()) * SECOND
MINUTE = 60


def bench(**kwargs: object) -> TimingBench:
    seed = int(kwargs.pop("seed", 1))  # type: ignore[call-overload]
    timing = Timing(**kwargs.pop("timing", {}))  # type: ignore[arg-type]
    gps = ReceiverSettings(**kwargs.pop("gps", {}))  # type: ignore[arg-type]
    oscillator = Oscillator(PRESETS["tcxo"], START - SECOND, seed=seed, **kwargs)  # type: ignore[arg-type]
    return TimingBench(START, timing, gps, oscillator, seed=seed)


def test_plus_20_ppm_and_1_ms_off_converges_below_1_us_in_10_minutes() -> None:
    run = bench(phase_ns=1_000_000, frequency_ppm=20.0, gps={"pps_jitter_ns": 100})
    probes = list(run.run(40 * MINUTE))
    assert probes[0].state.state is State.FREERUN and probes[0].state.stratum == 16
    after_10_min = [abs(p.error_ns) for p in probes[10 * MINUTE :]]
    assert max(after_10_min) < 1_000, f"worst {max(after_10_min)} ns after 10 minutes"
    locked = next(n for n, p in enumerate(probes) if p.state.state is State.LOCKED)
    assert locked < 10 * MINUTE
    assert all(p.state.state is State.LOCKED for p in probes[locked:])
    assert probes[-1].state.frequency_ppm == pytest.approx(-20.0, abs=0.5)
    assert run.kinds().count("timing.step") == 1  # the start-up step only


def test_served_time_never_runs_backwards_while_converging() -> None:
    run = bench(phase_ns=-3_000_000, frequency_ppm=-15.0, gps={"pps_jitter_ns": 100})
    served = [p.served_ns for p in run.run(5 * MINUTE)]
    assert all(b > a for a, b in zip(served[1:], served[2:], strict=False))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_tcxo_holdover_bound_never_understates_and_goes_unsync_at_budget(seed: int) -> None:
    budget = 50_000
    run = bench(seed=seed, frequency_ppm=1.5, timing={"holdover_budget_ns": budget})
    for _ in run.run(15 * MINUTE):
        pass
    assert run.discipline.state is State.LOCKED
    run.inject("antenna_open")
    probes = list(run.run(60 * MINUTE))
    states = [p.state.state for p in probes]
    assert states[0] is State.LOCKED and State.HOLDOVER in states
    for probe in probes:
        if probe.state.state is not State.LOCKED:
            assert probe.state.est_error_ns >= abs(probe.error_ns), (
                f"bound {probe.state.est_error_ns} below true error {probe.error_ns}"
            )
    unsync = states.index(State.UNSYNC)
    assert probes[unsync].state.est_error_ns > budget >= probes[unsync - 1].state.est_error_ns
    assert probes[unsync].state.stratum == 16 and probes[unsync].state.leap is Leap.ALARM
    assert probes[unsync].state.ptp_clock_class == 52
    holdover = probes[states.index(State.HOLDOVER)].state
    assert (holdover.stratum, holdover.ptp_clock_class) == (1, 7)
    assert run.kinds()[-2:] == ["timing.holdover", "timing.unsync"]


def test_recovery_needs_a_run_of_good_seconds() -> None:
    run = bench(frequency_ppm=1.5)
    for _ in run.run(5 * MINUTE):
        pass
    run.inject("satellites_lost")
    for _ in run.run(2 * MINUTE):
        pass
    assert run.discipline.state is State.HOLDOVER
    run.inject("signal_regained")
    probes = list(run.run(MINUTE))
    states = [p.state.state for p in probes]
    first_locked = states.index(State.LOCKED)
    assert first_locked >= 5 + 10, "locked again before ten good seconds"
    assert all(abs(p.error_ns) < 1_000 for p in probes[first_locked:])


def test_week_rollover_is_corrected_and_reported_once() -> None:
    run = bench(frequency_ppm=1.0, gps={"scenario": "week_rollover"})
    probes = list(run.run(3 * MINUTE))
    assert abs(probes[-1].error_ns) < 1_000
    assert run.kinds().count("gps.week_rollover") == 1
    assert run.discipline.counters.rollovers_corrected > 100


def leap_bench(start: datetime.datetime, scenario: str) -> TimingBench:
    start_ns = int(start.timestamp()) * SECOND
    oscillator = Oscillator(PRESETS["tcxo"], start_ns - SECOND, frequency_ppm=0.5, seed=3)
    return TimingBench(start_ns, Timing(), ReceiverSettings(scenario=scenario), oscillator)  # type: ignore[arg-type]


def test_leap_indicator_is_set_during_the_last_day_only() -> None:
    run = leap_bench(datetime.datetime(2026, 12, 30, 23, 58, tzinfo=datetime.UTC), "leap_insert")
    probes = list(run.run(4 * MINUTE))
    before = [
        p for p in probes if p.true_ns < START_OF(2026, 12, 31) and p.state.state is State.LOCKED
    ]
    after = [p for p in probes if p.true_ns >= START_OF(2026, 12, 31)]
    assert before and all(
        p.state.leap is Leap.NONE and p.state.leap_pending is Leap.INSERT for p in before
    )
    assert after and all(p.state.leap is Leap.INSERT for p in after)
    assert "timing.leap_scheduled" in run.kinds()


def START_OF(year: int, month: int, day: int) -> int:  # noqa: N802
    return int(datetime.datetime(year, month, day, tzinfo=datetime.UTC).timestamp()) * SECOND


def test_leap_insert_served_time_across_23_59_60() -> None:
    run = leap_bench(datetime.datetime(2026, 12, 31, 23, 56, tzinfo=datetime.UTC), "leap_insert")
    leap = START_OF(2027, 1, 1)
    probes = list(run.run(8 * MINUTE))
    for probe in probes[2 * MINUTE :]:
        if probe.true_ns < leap:
            expected = probe.true_ns
            assert probe.state.leap is Leap.INSERT
        elif probe.true_ns < leap + SECOND:
            expected = leap  # 23:59:60 is served as 00:00:00.000 held for one second
        else:
            expected = probe.true_ns - SECOND
            assert probe.state.leap is Leap.NONE
        assert abs(probe.served_ns - expected) < 1_000, (probe.true_ns - leap) / 1e9
        assert probe.state.state is State.LOCKED
    served = [p.served_ns for p in probes]
    assert all(b >= a for a, b in zip(served, served[1:], strict=False))


def test_leap_delete_skips_23_59_59() -> None:
    run = leap_bench(datetime.datetime(2026, 12, 31, 23, 56, tzinfo=datetime.UTC), "leap_delete")
    leap = START_OF(2027, 1, 1)
    probes = list(run.run(8 * MINUTE))
    for probe in probes[2 * MINUTE :]:
        expected = probe.true_ns if probe.true_ns < leap - SECOND else probe.true_ns + SECOND
        assert abs(probe.served_ns - expected) < 1_000
        assert probe.state.state is State.LOCKED
