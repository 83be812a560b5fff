"""The one policy both NTP executors run: compiled in Python, free of I/O, immutable.

Config (access rules, rate limit, what a bad MAC gets), the trusted keys, the reply template
made from the published sync state, and the served clock with its leap window go into one
`Policy`. The worker hands the same object to the C fast path (services/ntp/fast.py packs
it for `FastPath.set_policy`) and to the Python engine (services/ntp/engine.py); neither
has a default or a setting of its own. A new policy is a new object: parts that did not
change are the same objects, so the fast path rebuilds only what did.

A sync state that comes in a snapshot older than STALE_NS means the appliance that
publishes it is stuck: replies then say LI 3 (alarm), stratum 16 (0 on the wire, as
RFC 5905 sends it) and refid STAL, so that clients drop the server and an operator reading
`ntpq -p` (".STAL.") sees why, unlike INIT or LOST, which are the GPS's own states.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

from firmware.base.access import RuleSet
from firmware.base.config.schema import NtpSection
from firmware.base.ratelimit import bucket
from firmware.timing.leaps import FOREVER, LeapSchedule
from firmware.timing.servo import Servo
from firmware.timing.sync_state import Leap, SyncState
from services.ntp.keys import NtpKey
from services.ntp.packet import SECOND, ns_to_ntp, short_format

PRECISION = -20  # about a microsecond: what a user-space clock read resolves
TEMPLATE = struct.Struct("!BBbbII4sQ")  # the first 24 bytes: all but the three timestamps
STALE_NS = 2 * SECOND
STALE_REFID = "STAL"
MARGIN_NS = 20_000_000
"""Requests this close to a leap's change go to Python, which applies the leap exactly."""
NEVER_FRESH = -FOREVER


@dataclass(frozen=True)
class Limits:
    """The per-client rate limit: `interval_s` seconds per request, bursts of `burst`, one
    in 2**leak answered over the limit, `clients` remembered."""

    interval_s: float
    burst: int
    leak: int
    clients: int

    @property
    def refill_ns(self) -> int:
        return bucket(self.interval_s, self.leak)[0]

    @property
    def leak_mask(self) -> int:
        return bucket(self.interval_s, self.leak)[1]


@dataclass(frozen=True)
class Keys:
    """The keys requests may be signed with (the trusted ones), by id."""

    keys: tuple[NtpKey, ...] = ()
    by_id: dict[int, NtpKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {key.key_id: key for key in self.keys})

    def lookup(self, key_id: int) -> NtpKey | None:
        return self.by_id.get(key_id)


@dataclass(frozen=True)
class Template:
    """The first 24 bytes of every time reply while the snapshot is fresh, the same once
    it is stale, and until when (CLOCK_MONOTONIC ns) it is fresh."""

    fresh: bytes
    stale: bytes
    leap: int
    synchronised: bool
    fresh_until_ns: int


NO_TEMPLATE = Template(bytes(24), bytes(24), int(Leap.ALARM), False, NEVER_FRESH)
"""Before the first snapshot: alarms only."""


@dataclass(frozen=True)
class ServedClock:
    """Served time for a host clock reading. The fast path extrapolates one straight line
    (`base_*`, `rate`) plus `leap_offset`, and only while the line stays below
    `steady_until`; past it (a leap near or being applied) it hands the request to Python,
    which maps through the servo and the leap schedule exactly (the snapshot's own copies,
    which nothing changes once they are in a policy)."""

    servo: Servo
    leaps: LeapSchedule
    trusted: bool
    base_host: int
    base_served: int
    rate: float
    leap_offset: int
    steady_until: int

    def served(self, host_ns: int) -> int:
        return served_time(self.servo, self.leaps, host_ns)


@dataclass(frozen=True)
class Policy:
    access: RuleSet
    limits: Limits
    crypto_nak: bool
    """A bad MAC or unknown key gets a crypto-NAK (else nothing)."""
    keys: Keys = Keys()
    template: Template = NO_TEMPLATE
    clock: ServedClock | None = None
    """None before the first snapshot: the fast path then answers nothing itself."""


def compile_config(config: NtpSection, keys: list[NtpKey]) -> Policy:
    limit = config.ratelimit
    return Policy(
        RuleSet.compile(config.rules, config.allow),
        Limits(limit.interval, limit.burst, limit.leak, limit.clients),
        config.auth_failure == "crypto-nak",
        Keys(tuple(keys)),
    )


def with_config(policy: Policy, config: NtpSection, keys: list[NtpKey]) -> Policy:
    """The policy of new settings, serving the same snapshot (a live change of rules, rate
    limit, bad-MAC answer or trusted keys)."""
    return replace(compile_config(config, keys), template=policy.template, clock=policy.clock)


def with_keys(policy: Policy, keys: list[NtpKey]) -> Policy:
    return replace(policy, keys=Keys(tuple(keys)))


def with_snapshot(
    policy: Policy, sync: SyncState, reference_ns: int, published_ns: int, clock: ServedClock
) -> Policy:
    """The policy with a newly published sync state and served clock."""
    template = Template(
        _template(sync, reference_ns), _template(stale_state(sync), 0), int(sync.leap),
        sync.stratum < 16, published_ns + STALE_NS,
    )  # fmt: skip
    return replace(policy, template=template, clock=clock)


def served_clock(servo: Servo, leaps: LeapSchedule, trusted: bool, host_ns: int) -> ServedClock:
    """The servo's mapping and the leap offset, which holds only until the next leap starts
    to change it (see LeapSchedule.steady), less a margin."""
    offset, until = 0, FOREVER
    if servo.started and leaps.events:
        continuous = servo.served(host_ns)
        steady = leaps.steady(continuous)
        offset, until = steady if steady is not None else (0, continuous)
    line = servo.linear(host_ns)
    return ServedClock(servo, leaps, trusted, line.base_host, line.base_served, line.rate,
                       offset, until - MARGIN_NS)  # fmt: skip


def served_time(servo: Servo, leaps: LeapSchedule, host_ns: int) -> int:
    if not servo.started:
        return host_ns
    served = servo.served(host_ns)
    return leaps.to_utc(served) if leaps.events else served


def stale_state(sync: SyncState) -> SyncState:
    """What a worker announces when the appliance has not published for STALE_NS."""
    return replace(sync, stratum=16, leap=Leap.ALARM, refid=STALE_REFID)


def _template(sync: SyncState, reference_ns: int) -> bytes:
    synchronised = sync.stratum < 16
    stratum = sync.stratum if synchronised else 0  # RFC 5905: 16 goes out as 0
    refid = sync.refid.encode("ascii")[:4].ljust(4, b"\0")
    reference = ns_to_ntp(reference_ns) if synchronised else 0
    dispersion = short_format(sync.root_dispersion_ns)
    return TEMPLATE.pack(0, stratum, 0, PRECISION, 0, dispersion, refid, reference)
