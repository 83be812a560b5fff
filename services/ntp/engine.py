"""The NTP server's decisions, free of I/O: access rules, rate limit, authentication, reply.

`handle()` takes a request, the client's address, the served receive time (what the reply
says) and the host receive time (what the rate limit counts with: served time can step), and
says what to send. A time reply leaves its transmit timestamp empty: `finish()` fills it in
as late as possible and signs it. No unauthenticated reply to a time request is larger than
the request. Mode 6 answers only networks granted `query`, within the rate limit (no leak,
no kiss: its reply is several times its request), and with a MAC where the rule requires
one; mode 7 is never answered. Kisses (RATE, CRYP) come out of the client's kiss budget,
one per rate-limit interval (firmware/base/ratelimit.py).

A sync state that comes in a snapshot older than STALE_NS means the appliance that
publishes it is stuck: replies then say LI 3 (alarm), stratum 16 (0 on the wire, as
RFC 5905 sends it) and refid STAL, so that clients drop the server and an operator reading
`ntpq -p` (".STAL.") sees why, unlike INIT or LOST, which are the GPS's own states.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace

from firmware.base.access import AccessRules, Decision
from firmware.base.config.schema import NtpSection
from firmware.base.ratelimit import Admission, Clients, ClientTable
from firmware.timing.sync_state import Leap, SyncState
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
    SECOND,
    Mode,
    NtpPacketError,
    decode_trailer,
    ns_to_ntp,
    short_format,
)

PRECISION = -20  # about a microsecond: what a user-space clock read resolves
STAMP = struct.Struct("!Q")
KEY_ID = struct.Struct("!I")
TEMPLATE = struct.Struct("!BBbbII4sQ")  # the first 24 bytes: all but the three timestamps
STALE_NS = 2 * SECOND
STALE_REFID = "STAL"
KeyLookup = Callable[[int], NtpKey | None]
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
        config: NtpSection,
        keys: KeyLookup,
        variables: Callable[[], dict[str, str]],
        clients: Clients | None = None,
    ) -> None:
        self.rules = AccessRules(config.rules, config.allow)
        limit = config.ratelimit
        self.clients = clients or ClientTable(
            limit.interval, limit.burst, limit.leak, limit.clients, random.Random()
        )
        """Who asked when: the rate limit, and `ntp clients`."""
        self.keys = keys
        self.auth_failure_nak = config.auth_failure == "crypto-nak"
        self.variables = variables
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.template = bytearray(24)
        self.leap = 3
        self.synchronised = False
        self.stale_template = bytearray(24)
        """What replies start with once the snapshot is stale; the fast path needs both."""
        self.stale = True

    def update(self, sync: SyncState, reference_ns: int, snapshot_age_ns: int) -> None:
        """New sync state, and how old the snapshot that brought it is: rebuild the part of
        every reply that does not change per request, fresh and stale."""
        self.stale = snapshot_age_ns > STALE_NS
        self.template = _template(sync, reference_ns)
        self.leap = int(sync.leap)
        self.synchronised = sync.stratum < 16 and not self.stale
        self.stale_template = _template(stale_state(sync), 0)

    def handle(self, data: bytes, address: str, receive_ns: int, host_ns: int) -> Reply | None:
        """What to send for `data` from `address`, received at served time `receive_ns` and
        host time `host_ns` (the kernel's stamp, or the host clock)."""
        size = len(data)
        if size == 0:
            self.counters["malformed"] += 1
            return None
        first = data[0]
        mode, version = first & 7, (first >> 3) & 7
        decision = self.rules.decide(address)
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
        if size < HEADER_SIZE or not 1 <= version <= 4:
            self.counters["malformed"] += 1
            return None
        if not self.clients.admit(address, host_ns, decision.ratelimit):
            self.counters["rate_limited"] += 1
            if not (decision.kod and self.clients.kiss(address)):
                return None
            self.counters["kod_sent"] += 1
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
        header[:24] = self.stale_template if self.stale else self.template
        # NTPv1 clients, which send no mode, get a symmetric passive answer as they expect.
        mode = Mode.SERVER if (data[0] & 7) == CLIENT else Mode.SYMMETRIC_PASSIVE
        header[0] = (self.announced_leap() << 6) | (version << 3) | mode
        header[2] = data[2]  # poll, echoed
        header[24:32] = data[40:48]  # origin: the client's transmit timestamp
        STAMP.pack_into(header, 32, ns_to_ntp(receive_ns))
        self.counters["served"] += 1
        self.counters["served_stale"] += self.stale
        return Reply(header, key)

    def announced_leap(self) -> int:
        return int(Leap.ALARM) if self.stale else self.leap

    def _check_mac(self, data: bytes, key_id: int, signed_end: int) -> NtpKey | None:
        key = self.keys(key_id)
        if key is None or not key.verify(data[:signed_end], data[signed_end + 4 :]):
            return None
        self.counters["authenticated"] += 1
        return key

    def _bad_mac(self, data: bytes, address: str) -> Reply | None:
        """A crypto-NAK, out of the client's kiss budget: a bad-MAC flood from a spoofed
        source must not be reflected one for one either."""
        self.counters["bad_mac"] += 1
        if self.auth_failure_nak and self.clients.kiss(address):
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


def stale_state(sync: SyncState) -> SyncState:
    """What a worker announces when the appliance has not published for STALE_NS."""
    return replace(sync, stratum=16, leap=Leap.ALARM, refid=STALE_REFID)


def _template(sync: SyncState, reference_ns: int) -> bytearray:
    synchronised = sync.stratum < 16
    stratum = sync.stratum if synchronised else 0  # RFC 5905: 16 goes out as 0
    refid = sync.refid.encode("ascii")[:4].ljust(4, b"\0")
    reference = ns_to_ntp(reference_ns) if synchronised else 0
    dispersion = short_format(sync.root_dispersion_ns)
    template = bytearray(24)
    TEMPLATE.pack_into(template, 0, 0, stratum, 0, PRECISION, 0, dispersion, refid, reference)
    return template


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
