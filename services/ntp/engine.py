"""The NTP server's decisions, free of I/O: access rules, rate limit, authentication, reply.

`handle()` takes a request, the client's address, the served receive time (what the reply
says) and the host receive time (what the rate limit counts with: served time can step), and
says what to send. A time reply leaves its transmit timestamp empty: `finish()` fills it in
as late as possible and signs it. No unauthenticated reply to a time request is larger than
the request. Mode 6 answers only networks granted `query`, within the rate limit (no leak,
no kiss: its reply is several times its request), and with a MAC where the rule requires
one; mode 7 is never answered. Kisses (RATE, CRYP) come out of the client's kiss budget,
one per rate-limit interval (firmware/base/ratelimit.py).

Every setting it decides by (rules, keys, rate limit, reply template) comes from the
`Policy` it is given (services/ntp/policy.py), the same object the C fast path runs.
"""

from __future__ import annotations

import functools
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass

from firmware.base.access import CACHE_LIMIT, Decision
from firmware.base.ratelimit import Admission, Clients, ClientTable
from firmware.timing.sync_state import Leap
from services.ntp.control import (
    READSTAT,
    READVAR,
    decode_control,
    encode_responses,
    system_status,
    system_variables,
)
from services.ntp.counters import COUNTERS
from services.ntp.keys import NtpKey
from services.ntp.packet import (
    HEADER_SIZE,
    Mode,
    NtpPacketError,
    decode_trailer,
    ns_to_ntp,
)
from services.ntp.policy import Policy

STAMP = struct.Struct("!Q")
KEY_ID = struct.Struct("!I")
CLIENT, CONTROL, PRIVATE = int(Mode.CLIENT), int(Mode.CONTROL), int(Mode.PRIVATE)


@dataclass(slots=True)
class Reply:
    """A time reply waiting for its transmit timestamp, or finished packets."""

    header: bytearray | None
    key: NtpKey | None
    packets: list[bytes] | None = None


class Engine:
    def __init__(
        self,
        policy: Policy,
        variables: Callable[[], dict[str, str]],
        clients: Clients | None = None,
    ) -> None:
        limit = policy.limits
        self.clients = clients or ClientTable(
            limit.interval_s, limit.burst, limit.leak, limit.clients, random.Random()
        )
        """Who asked when: the rate limit, and `ntp clients`."""
        self.variables = variables
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.policy = policy
        self.decide = _cached(policy)
        self.stale = True
        self.synchronised = False

    def update(self, policy: Policy, monotonic_ns: int) -> None:
        """Serve from `policy` from now on; `monotonic_ns` (CLOCK_MONOTONIC) says whether
        its snapshot is still fresh, as the fast path tells by its own clock."""
        if policy.access is not self.policy.access:
            self.decide = _cached(policy)
        if policy.limits != self.policy.limits and isinstance(self.clients, ClientTable):
            limits = policy.limits
            self.clients.set_limits(limits.interval_s, limits.burst, limits.leak)
        self.policy = policy
        self.stale = monotonic_ns > policy.template.fresh_until_ns
        self.synchronised = policy.template.synchronised and not self.stale

    def handle(self, data: bytes, address: str, receive_ns: int, host_ns: int) -> Reply | None:
        """What to send for `data` from `address`, received at served time `receive_ns` and
        host time `host_ns` (the kernel's stamp, or the host clock)."""
        size = len(data)
        if size == 0:
            self.counters["malformed"] += 1
            return None
        first = data[0]
        mode, version = first & 7, (first >> 3) & 7
        self.counters["client_requests"] += mode == CLIENT
        decision = self.decide(address)
        if not decision.allow:
            self.counters["denied"] += 1
            return None
        if mode == CLIENT or (mode == Mode.RESERVED and version == 1):
            return self._client(data, address, receive_ns, host_ns, decision)
        if mode == CONTROL:
            self.counters["mode6"] += 1
            return self._control(data, address, host_ns, decision) if decision.query else None
        if mode == PRIVATE:
            self.counters["mode7"] += 1
            return None
        self.counters["other_modes"] += 1
        return None

    def _client(
        self, data: bytes, address: str, receive_ns: int, host_ns: int, decision: Decision
    ) -> Reply | None:
        size = len(data)
        version = (data[0] >> 3) & 7
        if not 1 <= version <= 4:
            # ntpEntStatusBadVersion; the C fast path hands these to us uncounted.
            self.counters["bad_version"] += 1
            return None
        if size < HEADER_SIZE:
            self.counters["malformed"] += 1
            return None
        if not self.clients.admit(address, host_ns, decision.ratelimit):
            self.counters["rate_limited"] += 1
            if not (decision.kod and self.clients.kiss(address)):
                return None
            self.counters["kod_sent"] += 1
            self.counters["server_replies"] += 1
            return Reply(None, None, [self._kiss(data, b"RATE")])
        key = None
        if size == HEADER_SIZE + 20 or size == HEADER_SIZE + 24:
            # The common authenticated request: a MAC right after the header.
            key = self._check_mac(data, KEY_ID.unpack_from(data, HEADER_SIZE)[0], HEADER_SIZE)
            if key is None:
                return self._bad_mac(data, address)
        elif size > HEADER_SIZE:
            try:
                _, mac = decode_trailer(memoryview(data)[HEADER_SIZE:], version)
            except NtpPacketError:
                self.counters["malformed"] += 1
                return None
            if mac is not None and mac.digest:
                key = self._check_mac(data, mac.key_id, size - 4 - len(mac.digest))
                if key is None:
                    return self._bad_mac(data, address)
        if decision.require_auth and key is None:
            self.counters["denied"] += 1
            return None
        header = bytearray(HEADER_SIZE)
        template = self.policy.template
        header[:24] = template.stale if self.stale else template.fresh
        # NTPv1 clients, which send no mode, get a symmetric passive answer as they expect.
        mode = Mode.SERVER if (data[0] & 7) == CLIENT else Mode.SYMMETRIC_PASSIVE
        header[0] = (self.announced_leap() << 6) | (version << 3) | mode
        header[2] = data[2]  # poll, echoed
        header[24:32] = data[40:48]  # origin: the client's transmit timestamp
        STAMP.pack_into(header, 32, ns_to_ntp(receive_ns))
        self.counters["served"] += 1
        self.counters["served_stale"] += self.stale
        self.counters["server_replies"] += mode == Mode.SERVER
        return Reply(header, key)

    def announced_leap(self) -> int:
        return int(Leap.ALARM) if self.stale else self.policy.template.leap

    def _check_mac(self, data: bytes, key_id: int, signed_end: int) -> NtpKey | None:
        key = self.policy.keys.lookup(key_id)
        if key is None or not key.verify(data[:signed_end], data[signed_end + 4 :]):
            return None
        self.counters["authenticated"] += 1
        return key

    def _bad_mac(self, data: bytes, address: str) -> Reply | None:
        """A crypto-NAK, out of the client's kiss budget: a bad-MAC flood from a spoofed
        source must not be reflected one for one either."""
        self.counters["bad_mac"] += 1
        if self.policy.crypto_nak and self.clients.kiss(address):
            self.counters["server_replies"] += 1
            return Reply(None, None, [self._kiss(data, b"CRYP") + b"\0\0\0\0"])
        return None

    def _kiss(self, data: bytes, code: bytes) -> bytes:
        """A kiss-o'-death: LI 3, stratum 0, the kiss code, and no time at all."""
        version = (data[0] >> 3) & 7
        header = bytearray(HEADER_SIZE)
        header[0] = (3 << 6) | (version << 3) | Mode.SERVER
        header[2] = data[2]
        header[12:16] = code
        header[24:32] = data[40:48]
        return bytes(header)

    def _control(self, data: bytes, address: str, host_ns: int, decision: Decision) -> Reply | None:
        """Mode 6 for a network granted `query`: the same bucket as its time requests, but
        neither leak nor kiss, and a MAC (RFC 1305 appendix B layout) where the rule wants
        one; the reply is then signed with the same key."""
        if self.clients.admit(address, host_ns, decision.ratelimit) != Admission.WITHIN:
            self.counters["rate_limited"] += 1
            return None
        try:
            request = decode_control(data)
        except NtpPacketError:
            self.counters["malformed"] += 1
            return None
        key = None
        if request.mac_at is not None:
            key = self._check_mac(data, KEY_ID.unpack_from(data, request.mac_at)[0],
                                  request.mac_at)  # fmt: skip
            if key is None:
                self.counters["bad_mac"] += 1
                return None
        if decision.require_auth and key is None:
            self.counters["denied"] += 1
            return None
        if request.opcode not in (READSTAT, READVAR) or request.association != 0:
            return None
        status = system_status(self.announced_leap(), self.synchronised)
        text = system_variables(self.variables()) if request.opcode == READVAR else ""
        return Reply(None, None, encode_responses(request, status, text, key))


def _cached(policy: Policy) -> Callable[[str], Decision]:
    """The policy's access decisions, remembered per address (a flood from many addresses
    only empties the cache)."""
    return functools.lru_cache(maxsize=CACHE_LIMIT)(policy.access.decide)


def finish(reply: Reply, transmit_ns: int) -> list[bytes]:
    """Everything to send for a reply: finished packets, or the time reply stamped."""
    if reply.packets is not None:
        return reply.packets
    return [finish_time(reply, transmit_ns)]


def finish_time(reply: Reply, transmit_ns: int) -> bytes:
    """Stamp the transmit time into a time reply and sign it with the request's key."""
    header = reply.header
    assert header is not None
    STAMP.pack_into(header, 40, ns_to_ntp(transmit_ns))
    if reply.key is None:
        return bytes(header)
    key = reply.key
    signed = bytes(header)
    return signed + KEY_ID.pack(key.key_id) + key.mac(signed)
