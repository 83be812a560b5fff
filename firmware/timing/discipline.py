"""The discipline: pairs each PPS edge with the NMEA time of its second, rejects outliers,
steers the servo, and keeps the sync state with its hysteresis and holdover bound.

Free of I/O and of real time: reports come in through the GpsSink methods and `tick(host)`;
every time is host realtime nanoseconds (the kernel's stamps) or served time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from firmware.base.config.schema import Timing
from firmware.base.events import EventBus, Severity
from firmware.timing.bound import ErrorBound
from firmware.timing.holdover import NoiseEstimate
from firmware.timing.leap_planning import LeapPlanner
from firmware.timing.leaps import SECOND, LeapSchedule
from firmware.timing.pairing import edge_for, unroll_weeks
from firmware.timing.servo import Servo
from firmware.timing.sync_state import UNKNOWN_ERROR_NS, Leap, State, SyncState, make_state
from hal.gps.types import PpsEdge, TimeSample
from hal.oscillator import PRESETS

REJECTS_BEFORE_RESET = 5
OUTLIER_FLOOR_NS = 10_000


@dataclass
class Counters:
    pairs: int = 0
    unpaired: int = 0
    outliers: int = 0
    steps: int = 0
    rollovers_corrected: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Discipline:
    settings: Timing
    events: EventBus
    servo: Servo = field(default_factory=Servo)
    state: State = State.FREERUN
    counters: Counters = field(default_factory=Counters)
    edges: deque[PpsEdge] = field(default_factory=lambda: deque(maxlen=8))
    leaps: LeapSchedule = field(init=False)
    planner: LeapPlanner = field(init=False)
    good_run: int = 0
    rejected_run: int = 0
    bound: ErrorBound = field(init=False)
    last_offset_ns: float = 0.0
    satellites_used: int = 0
    rollover: bool = False

    def __post_init__(self) -> None:
        self.leaps = LeapSchedule(self.settings.smear)
        self.planner = LeapPlanner(self.leaps, self.events)
        self.bound = ErrorBound(PRESETS[self.settings.oscillator])

    @property
    def measured_host(self) -> int | None:
        """Host time of the last measurement: the error bound grows from there."""
        return self.bound.measured_host

    @property
    def frequency_error(self) -> float:
        return self.bound.frequency_error

    @property
    def noise(self) -> NoiseEstimate:
        return self.bound.noise

    # -- reports from the receiver (GpsSink) --------------------------------------------

    def pps_edge(self, edge: PpsEdge) -> None:
        self.edges.append(edge)

    def time_sample(self, sample: TimeSample) -> None:
        self.satellites_used = sample.satellites_used
        if not sample.valid or sample.utc_ns is None:
            return
        utc = self._correct_rollover(sample.utc_ns)
        self.planner.from_gps(sample.leap, utc, sample.leap_at_ns)
        edge = edge_for(self.edges, sample.received_ns)
        if edge is None:
            self.counters.unpaired += 1
            return
        self.counters.pairs += 1
        now = max(sample.completed_ns, sample.received_ns)
        self._measure(edge.host_ns, self.leaps.to_continuous(utc, sample.leap_second), now)

    def _correct_rollover(self, utc_ns: int) -> int:
        corrected = unroll_weeks(utc_ns)
        if corrected != utc_ns:
            self.counters.rollovers_corrected += 1
            if not self.rollover:
                self.events.emit(
                    "gps.week_rollover",
                    Severity.WARNING,
                    "GPS receiver reports dates 1024 weeks early (week-number rollover); corrected",
                )
        self.rollover = corrected != utc_ns
        return corrected

    # -- the loop -----------------------------------------------------------------------

    def _measure(self, host_ns: int, reference_ns: int, now_ns: int) -> None:
        """`reference_ns` is the time the PPS edge at `host_ns` marked; learned at `now_ns`."""
        servo = self.servo
        if not servo.started:
            self._step(host_ns, reference_ns, "start-up")
            return
        offset = reference_ns - servo.served(host_ns)
        self.last_offset_ns = offset
        # The error bound says how far served time may be off; an offset beyond it (and the
        # noise) contradicts it: an outlier, unless it persists.
        limit = self.est_error_ns(host_ns) + max(OUTLIER_FLOOR_NS, 8 * self.bound.noise_ns())
        if abs(offset) > self.settings.step_threshold_ns or abs(offset) > limit:
            self.counters.outliers += 1
            self.rejected_run += 1
            self.good_run = 0
            if self.rejected_run < REJECTS_BEFORE_RESET:
                return
            self.rejected_run = 0
            if abs(offset) > self.settings.step_threshold_ns:
                self._step(host_ns, reference_ns, f"offset {offset / 1e6:.3f} ms")
                return
            servo.forget()  # the reference moved: slew to it, but it says nothing of frequency
        self.rejected_run = 0
        self._accept(host_ns, offset, now_ns)
        self.good_run = self.good_run + 1 if abs(offset) <= self.settings.lock_threshold_ns else 0
        if self.state is not State.LOCKED and self.good_run >= self.settings.lock_samples:
            self._enter(State.LOCKED, f"locked to GPS ({self.satellites_used} satellites)")

    def _accept(self, host_ns: int, offset: float, now_ns: int) -> None:
        """A measurement: steer, learn the noise, and restart the error bound from it."""
        servo, bound = self.servo, self.bound
        gap_ns = bound.since_measured(host_ns)
        if servo.last is None or gap_ns > self.settings.loss_seconds * SECOND:
            bound.after_gap(gap_ns)
        learning = servo.learning
        residual, offset_now = servo.update(host_ns, offset, now_ns)
        if residual is not None:
            bound.learn(residual, servo.weight(), learning)
        bound.restart(servo, host_ns, offset_now)

    def _step(self, host_ns: int, reference_ns: int, why: str) -> None:
        before = self.servo.served(host_ns) if self.servo.started else host_ns
        self.servo.step(host_ns, reference_ns)
        self.bound.stepped(host_ns)
        self.counters.steps += 1
        self.good_run = 0
        self.events.emit(
            "timing.step",
            Severity.WARNING if why != "start-up" else Severity.NOTICE,
            f"served time stepped by {(reference_ns - before) / 1e9:+.9f} s ({why})",
        )

    # -- state over time ----------------------------------------------------------------

    def tick(self, host_ns: int) -> None:
        """Call often (a few times a second): loss of reference, budget, leaps passing."""
        stale = self.measured_host is None or host_ns - self.measured_host > (
            self.settings.loss_seconds * SECOND
        )
        if stale:
            self.servo.forget()
        if self.state is State.LOCKED and stale:
            self.good_run = 0
            self._enter(State.HOLDOVER, "GPS reference lost; in holdover", Severity.WARNING)
        if self.state is State.HOLDOVER and self.est_error_ns(host_ns) > (
            self.settings.holdover_budget_ns
        ):
            self._enter(
                State.UNSYNC,
                f"holdover error bound passed {self.settings.holdover_budget_ns} ns; "
                "unsynchronised",
                Severity.ERROR,
            )

    def _enter(self, state: State, message: str, severity: Severity = Severity.NOTICE) -> None:
        before, self.state = self.state, state
        self.events.emit(
            f"timing.{state.value.lower()}", severity, message,
            {"from": before.value, "to": state.value},
        )  # fmt: skip

    def est_error_ns(self, host_ns: int) -> int:
        """A bound on |served - true UTC| (bound.py), unknown until served time is set."""
        if not self.servo.started:
            return UNKNOWN_ERROR_NS  # the host clock's, which nothing has measured
        return self.bound.est_error_ns(host_ns)

    # -- what services read -------------------------------------------------------------

    def configure(self, settings: Timing) -> None:
        """New settings from a reloaded config; the learned state is kept."""
        self.settings = settings
        self.bound.spec = PRESETS[settings.oscillator]
        self.leaps.smear = settings.smear

    def announce_leap(self, source: str, plan: tuple[int, int] | None, utc_ns: int) -> None:
        """What a source other than the receiver (the leap-seconds file) announces now: a
        leap (UTC just after it, sign) or none."""
        self.planner.announce(source, plan, utc_ns)

    def trusted(self) -> bool:
        """Served time has been locked once: from now on it must never run backwards."""
        return self.state is not State.FREERUN

    def served_ns(self, host_ns: int) -> int:
        """Served UTC for a host realtime stamp (now, or a kernel receive timestamp)."""
        if not self.servo.started:
            return host_ns
        return self.leaps.to_utc(self.servo.served(host_ns))

    def leap_at_ns(self, host_ns: int) -> int | None:
        """UTC of the 00:00:00 that follows the next planned leap second (as a leap-seconds
        list dates it), or None while none is planned."""
        pending = self.leaps.pending(self._continuous(host_ns))
        return pending.utc_at_ns if pending is not None else None

    def _continuous(self, host_ns: int) -> int:
        return self.servo.served(host_ns) if self.servo.started else host_ns

    def sync_state(self, host_ns: int) -> SyncState:
        continuous = self._continuous(host_ns)
        pending = self.leaps.pending(continuous)
        leap_pending = Leap.NONE
        leap_today = Leap.NONE
        if pending is not None:
            leap_pending = Leap.INSERT if pending.sign > 0 else Leap.DELETE
            if pending.continuous_at_ns - continuous <= 86400 * SECOND:
                leap_today = leap_pending
        holdover = 0.0
        if self.state is State.HOLDOVER and self.measured_host is not None:
            holdover = (host_ns - self.measured_host) / SECOND
        last_pps = self.edges[-1].host_ns if self.edges else None
        return make_state(
            self.state, self.est_error_ns(host_ns), leap_today, leap_pending,
            self.servo.frequency * 1e6, holdover, last_pps, self.satellites_used,
        )  # fmt: skip
