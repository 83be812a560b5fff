"""The SNMP front door's decisions, free of I/O (time passed in): which datagrams go on to
snmpd (behind it on loopback) and which are dropped, and which of snmpd's answers tell of a
failed login (or, with the word snmpd logs of an SNMPv3 request it could not decrypt, which
request that was). snmpd can hold v2c communities to source networks but not SNMPv3 users, so
`[services.snmp] allow` is applied here, to every version alike, with a per-source rate
limit; and because snmpd only ever sees the front door's own address, the failed logins
its reports reveal are named here, with the real source."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from firmware.base.access import AccessRules
from firmware.base.ratelimit import Admission, ClientTable
from services.snmp.agentx import Oid
from services.snmp.snmp_message import PduType, SnmpMessageError, Version, decode_message

RATE_INTERVAL_S = 0.005
"""200 requests a second per source on average: a walk sends one request per object."""
RATE_BURST = 400
RATE_CLIENTS = 4096
MAX_USER = 32
AWAIT_NS = 5 * 10**9
"""How long an encrypted request forwarded to snmpd may stay unanswered and still be the
one snmpd's word of an undecryptable request is about."""
MAX_AWAITING = 256

USM_STATS: Oid = (1, 3, 6, 1, 6, 3, 15, 1, 1)
DECRYPTION_ERRORS: Oid = (*USM_STATS, 6, 0)
FAILURES = {
    (*USM_STATS, 1, 0): ("unsupported_security_level", "unsupported security level"),
    (*USM_STATS, 3, 0): ("unknown_user", "unknown user"),
    (*USM_STATS, 5, 0): ("wrong_digest", "wrong authentication passphrase"),
    DECRYPTION_ERRORS: ("decryption_error", "decryption error (wrong privacy passphrase)"),
}
"""The USM reports (RFC 3414 3.2) that mean a failed login. usmStatsUnknownEngineIDs and
usmStatsNotInTimeWindows are not here: every SNMPv3 client meets them on its first request.
net-snmp sends no usmStatsDecryptionErrors report for AES (see `undecryptable`)."""


class Verdict(Enum):
    FORWARD = "forwarded"
    REFUSED = "refused"
    """The source is not in the allow-list: no answer."""
    RATE_LIMITED = "rate_limited"
    MALFORMED = "malformed"
    V1 = "v1_dropped"
    """SNMPv1 is never answered."""


@dataclass(frozen=True)
class Failure:
    """A failed SNMP login that snmpd reported back, named with its real source."""

    source: str
    user: str
    reason: str

    @property
    def message(self) -> str:
        return f"SNMP {self.reason} for user {self.user!r} from {self.source}"


def printable_user(raw: bytes) -> str:
    """A user name from the wire, safe for a log line."""
    text = raw[:MAX_USER].decode("utf-8", "replace")
    return "".join(c if c.isprintable() else "?" for c in text)


class FrontDoor:
    """One per SNMP service start: the allow-list and the per-source rate limit."""

    def __init__(self, allow: Sequence[str], rng: random.Random | None = None) -> None:
        self.access = AccessRules([], allow)
        self.clients = ClientTable(RATE_INTERVAL_S, RATE_BURST, 0, RATE_CLIENTS,
                                   rng or random.Random())  # fmt: skip
        self.counters = {verdict.value: 0 for verdict in Verdict}
        self.counters["replies"] = 0
        self.counters.update({counter: 0 for counter, _ in FAILURES.values()})
        self.awaiting: deque[tuple[str, str, int | None, int]] = deque(maxlen=MAX_AWAITING)
        """Encrypted requests forwarded and not answered yet, oldest first: (source, user,
        msgID, time forwarded)."""

    def request(self, source: str, data: bytes, now_ns: int) -> Verdict:
        """What to do with a datagram from `source` received at host time `now_ns`."""
        verdict = self._judge(source, data, now_ns)
        self.counters[verdict.value] += 1
        return verdict

    def _judge(self, source: str, data: bytes, now_ns: int) -> Verdict:
        if not self.access.decide(source).allow:
            return Verdict.REFUSED
        if self.clients.admit(source, now_ns) == Admission.OVER:
            return Verdict.RATE_LIMITED
        try:
            message = decode_message(data)
        except SnmpMessageError:
            return Verdict.MALFORMED
        if message.version == Version.V1:
            return Verdict.V1
        if message.encrypted and message.user:
            self.awaiting.append((source, printable_user(message.user), message.msg_id, now_ns))
        return Verdict.FORWARD

    def reply(self, source: str, data: bytes) -> Failure | None:
        """snmpd's answer to `source`, on its way back: a failed login if it says one."""
        self.counters["replies"] += 1
        try:
            message = decode_message(data)
        except SnmpMessageError:
            return None
        self._answered(source, message.msg_id)
        if message.pdu != PduType.REPORT or message.first_name not in FAILURES:
            return None
        counter, reason = FAILURES[message.first_name]
        self.counters[counter] += 1
        return Failure(source, printable_user(message.user), reason)

    def _answered(self, source: str, msg_id: int | None) -> None:
        """An answer (or a report) to `source` settles the encrypted request it carries the
        msgID of; an answer to a readable request from the same source settles nothing."""
        if msg_id is None:
            return
        for index, (waiting, _, waiting_id, _) in enumerate(self.awaiting):
            if waiting == source and waiting_id == msg_id:
                del self.awaiting[index]
                return

    def undecryptable(self, now_ns: int) -> Failure | None:
        """snmpd logged that it could not read the scoped PDU of an authenticated request:
        with AES-CFB a wrong privacy key decrypts to garbage, so net-snmp neither answers nor
        reports usmStatsDecryptionErrors. It is one of the encrypted requests still
        unanswered. When they all come from one source and user, that is who it was; when
        several wait, every candidate is named, never a guess of one (a slow answer to one
        client must not put another's address in a security event)."""
        while self.awaiting and now_ns - self.awaiting[0][3] > AWAIT_NS:
            self.awaiting.popleft()
        if not self.awaiting:
            return None
        counter, reason = FAILURES[DECRYPTION_ERRORS]
        self.counters[counter] += 1
        sources = sorted({source for source, _, _, _ in self.awaiting})
        users = sorted({user for _, user, _, _ in self.awaiting})
        if len(sources) == 1 and len(users) == 1:
            self.awaiting.popleft()
            return Failure(sources[0], users[0], reason)
        return Failure(f"one of {', '.join(sources[:8])}", " or ".join(users[:4]), reason)
