"""The worker's native fast path (services/ntp/_fastpath.c), set up from Python's decisions:
the access rules, the rate limit, the trusted keys, the reply template and the served clock.

It is missing when the extension could not be built (no C compiler or OpenSSL headers at
install time); the worker then answers every request in Python, about a quarter as fast.
TIMESERVER_NTP_FASTPATH=0 turns it off.
"""

from __future__ import annotations

import ipaddress
import os
import socket

from firmware.base.access import AccessRules, Decision
from firmware.base.config.schema import NtpSection
from firmware.base.ratelimit import bucket
from firmware.timing.leaps import FOREVER, LeapSchedule
from firmware.timing.servo import Servo
from services.ntp.engine import STALE_NS, Engine
from services.ntp.keys import NtpKey

try:
    from services.ntp._fastpath import FastPath
except ImportError:  # pragma: no cover - depends on the build
    FastPath = None  # type: ignore[assignment,misc]

MARGIN_NS = 20_000_000
"""Requests this close to a leap's change go to Python, which applies the leap exactly."""
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def available() -> bool:
    return FastPath is not None and os.environ.get("TIMESERVER_NTP_FASTPATH", "1") != "0"


def open_fast_path(config: NtpSection, sockets: list[socket.socket]) -> FastPath:
    access = AccessRules(config.rules, config.allow)
    limit = config.ratelimit
    refill_ns, leak_mask = bucket(limit.interval, limit.leak)
    return FastPath(
        [sock.fileno() for sock in sockets],
        [_network(network, None) for network in access.allow],
        [_network(network, decision) for network, decision in access.rules],
        refill_ns, limit.burst, leak_mask, limit.clients,
        config.auth_failure == "crypto-nak", os.urandom(16),
    )  # fmt: skip


def _network(
    network: Network, decision: Decision | None
) -> tuple[bytes, int, bool, bool, bool, bool, bool]:
    if isinstance(network, ipaddress.IPv4Network):
        address, bits = b"\0" * 10 + b"\xff\xff" + network.network_address.packed, 96
    else:
        address, bits = network.network_address.packed, 0
    bits += network.prefixlen
    if decision is None:  # the service's allow-list: only membership matters
        return address, bits, network.version == 4, True, False, False, False
    return (address, bits, network.version == 4, decision.allow, decision.require_auth,
            decision.kod, decision.ratelimit)  # fmt: skip


def clock_settings(
    servo: Servo, leaps: LeapSchedule, trusted: bool, host_ns: int
) -> tuple[int, int, float, bool, bool, int, int]:
    """The served clock for FastPath.set_clock: the servo's mapping and the leap offset,
    which holds only until the next leap starts to change it (see LeapSchedule.steady)."""
    offset, until = 0, FOREVER
    if servo.started and leaps.events:
        continuous = servo.served(host_ns)
        steady = leaps.steady(continuous)
        offset, until = steady if steady is not None else (0, continuous)
    line = servo.linear(host_ns)  # the C side extrapolates one straight line until the next
    return (line.base_host, line.base_served, line.rate, servo.started, trusted, offset,
            until - MARGIN_NS)  # fmt: skip


def template_settings(engine: Engine, published_ns: int) -> tuple[bytearray, int, bytearray, int]:
    """The reply templates for FastPath.set_template: the fast path itself switches to the
    stale one once the snapshot published at `published_ns` (CLOCK_MONOTONIC) is too old."""
    return engine.template, engine.leap, engine.stale_template, published_ns + STALE_NS


def key_settings(keys: list[NtpKey]) -> list[tuple[int, str, bytes]]:
    return [(key.key_id, key.type.value, key.secret) for key in keys]
