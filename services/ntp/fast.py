"""The worker's native fast path (services/ntp/_fastpath.c), given the worker's `Policy`.

`native()` packs a policy into the tuples `FastPath.set_policy` reads: the rules (allow-list,
rules, and the decision for an address no rule names), the trusted keys, the rate limit,
what a bad MAC gets, the reply template and the served clock. The packed rules and keys are
remembered per object, so the fast path sees the same tuple again and keeps what it built.

It is missing when the extension could not be built (no C compiler or OpenSSL headers at
install time); the worker then answers every request in Python, about a quarter as fast.
TIMESERVER_NTP_FASTPATH=0 turns it off.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket

from firmware.base.access import Decision, Network, RuleSet
from services.ntp.policy import Keys, Policy, ServedClock, Template

try:
    from services.ntp._fastpath import FastPath
except ImportError:  # pragma: no cover - depends on the build
    FastPath = None  # type: ignore[assignment,misc]

NativeRule = tuple[bytes, int, bool, bool, bool, bool, bool]
NativeRules = tuple[tuple[NativeRule, ...], tuple[NativeRule, ...], NativeRule]
NativeKeys = tuple[tuple[int, str, bytes], ...]
NativeClock = tuple[int, int, float, bool, bool, int, int] | None
NativePolicy = tuple[
    NativeRules, NativeKeys, int, int, int, bool, tuple[bytes, int, bytes, int], NativeClock
]
ANY_V6 = ipaddress.ip_network("::/0")


def available() -> bool:
    return FastPath is not None and os.environ.get("TIMESERVER_NTP_FASTPATH", "1") != "0"


def open_fast_path(policy: Policy, sockets: list[socket.socket]) -> FastPath:
    """A fast path on `sockets` that serves `policy` until it is given another."""
    made = FastPath([sock.fileno() for sock in sockets], policy.limits.clients, os.urandom(16))
    made.set_policy(native(policy))
    return made


def native(policy: Policy) -> NativePolicy:
    limits = policy.limits
    return (
        native_rules(policy.access), native_keys(policy.keys), limits.refill_ns, limits.burst,
        limits.leak_mask, policy.crypto_nak, _template(policy.template), _clock(policy.clock),
    )  # fmt: skip


@functools.lru_cache(maxsize=4)
def native_rules(access: RuleSet) -> NativeRules:
    """Networks as 16 bytes (IPv4 as ::ffff:a.b.c.d/96+n) with their decision."""
    allow = tuple(_rule(network, None) for network in access.allow)
    rules = tuple(_rule(network, decision) for network, decision in access.rules)
    return allow, rules, _rule(ANY_V6, access.default)


@functools.lru_cache(maxsize=4)
def native_keys(keys: Keys) -> NativeKeys:
    return tuple((key.key_id, key.type.value, key.secret) for key in keys.keys)


def _rule(network: Network, decision: Decision | None) -> NativeRule:
    if isinstance(network, ipaddress.IPv4Network):
        address, bits = b"\0" * 10 + b"\xff\xff" + network.network_address.packed, 96
    else:
        address, bits = network.network_address.packed, 0
    bits += network.prefixlen
    if decision is None:  # the service's allow-list: only membership matters
        return address, bits, network.version == 4, True, False, False, False
    return (address, bits, network.version == 4, decision.allow, decision.require_auth,
            decision.kod, decision.ratelimit)  # fmt: skip


def _template(template: Template) -> tuple[bytes, int, bytes, int]:
    """The fast path itself switches to the stale template once its CLOCK_MONOTONIC passes
    `fresh_until_ns`."""
    return template.fresh, template.leap, template.stale, template.fresh_until_ns


def _clock(clock: ServedClock | None) -> NativeClock:
    if clock is None:
        return None
    return (clock.base_host, clock.base_served, clock.rate, clock.servo.started, clock.trusted,
            clock.leap_offset, clock.steady_until)  # fmt: skip
