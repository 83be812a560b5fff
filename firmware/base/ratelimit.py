"""Per-client rate limiting: token buckets in a bounded table, with a random leak and a
kiss budget. The table also tells who was heard from last (`ntp clients`).
services/ntp/_fastpath.c keeps the same table in C for the NTP workers; both follow the
rules written here (ClientTable's docstring)."""

from __future__ import annotations

import random
from collections import OrderedDict
from enum import IntEnum
from typing import Protocol

SECOND = 1_000_000_000


class Admission(IntEnum):
    """What the table says about one request. True for the two that get a normal answer."""

    OVER = 0
    """Over the limit: dropped, or a kiss if the client's kiss budget allows."""
    WITHIN = 1
    """Within the limit (or exempt from it)."""
    LEAKED = 2
    """Over the limit, but one of the 1 in 2**leak that still get a time reply."""


class Clients(Protocol):
    def admit(self, address: str, now_ns: int, limited: bool) -> int: ...

    def kiss(self, address: str) -> bool: ...

    def recent(self, count: int) -> list[tuple[str, int, int]]: ...


def bucket(interval_s: float, leak: int) -> tuple[int, int]:
    """Nanoseconds of tokens per request, and the mask that lets one in 2**leak through
    over the limit (-1: none)."""
    return max(1, int(interval_s * SECOND)), (1 << leak) - 1 if leak > 0 else -1


class ClientTable:
    """The rule, for this table and the C one alike:

    - `interval` seconds per request on average, bursts of `burst`: tokens are kept as
      nanoseconds, `interval` of them spent per request, refilled by elapsed time.
    - Time is the host's receive time (the kernel's stamp, or the host clock), never served
      time, which a servo or a leap can step. Elapsed time never counts negative: a clock
      stepped back refills nothing and costs nothing, so it cannot put clients over the limit.
    - Over the limit, one request in 2**leak is LEAKED: it still gets a normal time reply,
      so that a victim whose address a flood spoofs is not cut off from time.
    - Kisses (KoD RATE, crypto-NAK) come out of a budget of one per `interval` per client:
      `kiss()` spends it. A flood, spoofed or not, is not reflected as a kiss per request.
    - The least recently seen client is forgotten first; a forgotten client starts afresh.

    The table is a dict, which Python hashes with SipHash-1-3 under a key drawn at process
    start (unless PYTHONHASHSEED fixes it), so no set of addresses crowds into a few slots;
    the C table hashes the whole address with SipHash-2-4 under its own random key.
    """

    def __init__(
        self, interval_s: float, burst: int, leak: int, clients: int, rng: random.Random
    ) -> None:
        self.set_limits(interval_s, burst, leak)
        self.clients = clients
        self.rng = rng
        self.table: OrderedDict[str, list[int]] = OrderedDict()
        """address -> [tokens, last request, requests, kiss budget]"""

    def set_limits(self, interval_s: float, burst: int, leak: int) -> None:
        """New limits for every client from now on; what each has spent is kept."""
        self.refill_ns, self.leak_mask = bucket(interval_s, leak)
        self.burst = burst

    def admit(self, address: str, now_ns: int, limited: bool = True) -> Admission:
        """Records a request at host time `now_ns`; a client exempt from the limit
        (`limited` false) spends no tokens."""
        entry = self.table.get(address)
        capacity = self.burst * self.refill_ns
        if entry is None:
            if len(self.table) >= self.clients:
                self.table.popitem(last=False)
            self.table[address] = [capacity - self.refill_ns, now_ns, 1, self.refill_ns]
            return Admission.WITHIN
        self.table.move_to_end(address)
        elapsed = max(0, now_ns - entry[1])
        entry[0] = min(capacity, entry[0] + elapsed)
        entry[1] = now_ns
        entry[2] += 1
        entry[3] = min(self.refill_ns, entry[3] + elapsed)
        if not limited:
            return Admission.WITHIN
        if entry[0] >= self.refill_ns:
            entry[0] -= self.refill_ns
            return Admission.WITHIN
        if self.leak_mask >= 0 and (self.rng.getrandbits(16) & self.leak_mask) == 0:
            return Admission.LEAKED
        return Admission.OVER

    def kiss(self, address: str) -> bool:
        """True if the client, as last admitted, may be sent a kiss now; spends it if so."""
        entry = self.table.get(address)
        if entry is None or entry[3] < self.refill_ns:
            return False
        entry[3] -= self.refill_ns
        return True

    def recent(self, count: int) -> list[tuple[str, int, int]]:
        """The `count` clients heard from last: (address, requests, last request host time)."""
        found: list[tuple[str, int, int]] = []
        for address in reversed(self.table):
            if len(found) == count:
                break
            _, last, requests, _ = self.table[address]
            found.append((address, requests, last))
        return found
