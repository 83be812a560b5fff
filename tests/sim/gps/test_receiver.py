"""The simulated receiver's scenarios, second by second on a stepped clock, read back through
the same NMEA code that reads a real receiver."""

import datetime
import statistics

import pytest

from hal.gps.nmea import EpochAssembler
from hal.gps.types import Antenna, FixMode, GpsScenario, LeapWarning, TimeSample
from sim.gps.receiver import SECOND, ReceiverSettings, SimReceiver

START = int(datetime.datetime(2026, 11, 30, 23, 59, 0, tzinfo=datetime.UTC).timestamp()) * SECOND
LEAP = START + 60 * SECOND  # the end of November, where a leap second goes
MS = 1_000_000


def run(
    receiver: SimReceiver, seconds: int, start: int = START
) -> tuple[list[TimeSample], list[int | None], EpochAssembler]:
    assembler = EpochAssembler()
    samples: list[TimeSample] = []
    edges: list[int | None] = []
    for n in range(seconds):
        output = receiver.second(start + n * SECOND)
        edges.append(output.pps_ns)
        for line in output.lines:
            sample = assembler.feed(line, start + n * SECOND)
            if sample is not None:
                samples.append(sample)
    return samples, edges, assembler


def receiver(scenario: GpsScenario, **settings: object) -> SimReceiver:
    return SimReceiver(ReceiverSettings(scenario=scenario, **settings), START, seed=1)  # type: ignore[arg-type]


def test_locked_reports_true_time_and_pps_on_the_second() -> None:
    samples, edges, assembler = run(receiver("locked", pps_jitter_ns=0), 10)
    assert [s.utc_ns for s in samples] == [START + n * SECOND for n in range(len(samples))]
    assert all(s.fix == FixMode.THREE_D and s.satellites_used >= 4 for s in samples)
    assert edges == [START + n * SECOND for n in range(10)]
    assert assembler.counters.bad_checksum == assembler.counters.malformed == 0


def test_cold_start_has_no_fix_then_acquires() -> None:
    samples, edges, _ = run(receiver("cold_start", cold_start_seconds=20), 30)
    fixes = [s.valid for s in samples]
    assert not any(fixes[:19]) and all(fixes[21:])
    assert edges[:20] == [None] * 20 and None not in edges[20:]


def test_antenna_faults_report_state_and_no_fix() -> None:
    for scenario, state in (("antenna_open", Antenna.OPEN), ("antenna_short", Antenna.SHORT)):
        samples, edges, _ = run(receiver(scenario), 5)  # type: ignore[arg-type]
        assert all(not s.valid for s in samples)
        assert all(s.antenna == state for s in samples[1:])  # TXT follows the first RMC
        assert edges == [None] * 5


def test_satellites_lost_then_regained() -> None:
    sim = receiver("locked")
    run(sim, 3)
    sim.inject("satellites_lost", START + 3 * SECOND)
    lost, edges, _ = run(sim, 5, START + 3 * SECOND)
    assert all(not s.valid and s.satellites == () for s in lost[1:])
    assert edges == [None] * 5
    sim.inject("signal_regained", START + 8 * SECOND)
    back, _, _ = run(sim, 10, START + 8 * SECOND)
    assert not back[1].valid and back[-1].valid


def test_leap_insert_is_announced_then_labelled_23_59_60() -> None:
    samples, _, _ = run(receiver("leap_insert", pps_jitter_ns=0), 63)
    assert samples[0].leap == LeapWarning.INSERT
    leap = [s for s in samples if s.leap_second]
    assert len(leap) == 1
    end_of_month = int(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()) * SECOND
    assert leap[0].utc_ns == end_of_month
    after = samples[samples.index(leap[0]) + 1]
    assert after.utc_ns == end_of_month and after.leap == LeapWarning.NONE


def test_leap_delete_skips_23_59_59() -> None:
    samples, _, _ = run(receiver("leap_delete"), 63)
    assert samples[0].leap == LeapWarning.DELETE
    labels = [datetime.datetime.fromtimestamp(s.utc_ns // SECOND, datetime.UTC) for s in samples]  # type: ignore[operator]
    assert datetime.datetime(2026, 11, 30, 23, 59, 58, tzinfo=datetime.UTC) in labels
    assert datetime.datetime(2026, 11, 30, 23, 59, 59, tzinfo=datetime.UTC) not in labels


def test_week_rollover_reports_dates_1024_weeks_early() -> None:
    samples, _, _ = run(receiver("week_rollover"), 3)
    assert samples[0].utc_ns == START - 1024 * 7 * 86400 * SECOND


def test_corrupt_sentences_are_counted_and_samples_still_come() -> None:
    samples, _, assembler = run(receiver("corrupt_sentences"), 60)
    counters = assembler.counters
    assert counters.bad_checksum + counters.malformed > 20
    assert len(samples) > 30


def test_pps_jitter_and_missing_pulses() -> None:
    _, edges, _ = run(receiver("pps_jitter"), 600)
    present = [(edge - START) % SECOND for edge in edges if edge is not None]
    errors = [e - SECOND if e > SECOND // 2 else e for e in present]
    assert 0.05 < 1 - len(present) / 600 < 0.16
    assert 800 < statistics.pstdev(errors) < 1200


def test_configured_phase_error() -> None:
    _, edges, _ = run(receiver("locked", phase_error_ns=250_000, pps_jitter_ns=0), 3)
    assert edges == [START + n * SECOND + 250_000 for n in range(3)]


# (scenario, true time from the leap in ms, UTC a perfect server serves then, from the leap)
TRUTH = [
    ("locked", -1, -1),
    ("locked", 1500, 1500),
    ("week_rollover", 500, 500),
    ("leap_insert", -1, -1),
    ("leap_insert", 0, 0),
    ("leap_insert", 999, 0),
    ("leap_insert", 1000, 0),
    ("leap_insert", 1001, 1),
    ("leap_insert", 10_000, 9_000),
    ("leap_delete", -1001, -1001),
    ("leap_delete", -1000, 0),
    ("leap_delete", -1, 999),
    ("leap_delete", 10_000, 11_000),
]


@pytest.mark.parametrize(("scenario", "true_ms", "served_ms"), TRUTH)
def test_truth_holds_an_inserted_second_and_skips_a_deleted_one(
    scenario: GpsScenario, true_ms: int, served_ms: int
) -> None:
    assert receiver(scenario).utc_ns(LEAP + true_ms * MS) == LEAP + served_ms * MS


@pytest.mark.parametrize("scenario", ["locked", "leap_insert", "leap_delete"])
def test_truth_at_each_second_is_the_receivers_own_label(scenario: GpsScenario) -> None:
    sim = receiver(scenario, pps_jitter_ns=0)
    samples, _, _ = run(sim, 63)
    assert [sim.utc_ns(s.received_ns) for s in samples] == [s.utc_ns for s in samples]


def test_truth_follows_a_leap_injected_later() -> None:
    sim = receiver("locked")
    assert sim.utc_ns(LEAP + 5 * SECOND) == LEAP + 5 * SECOND
    sim.inject("leap_delete", START + 10 * SECOND)
    assert sim.utc_ns(LEAP + 5 * SECOND) == LEAP + 6 * SECOND
