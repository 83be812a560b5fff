"""Per-client rate limiting: token buckets in a bounded table, with a random leak. The
table also tells who was heard from last (`ntp clients`). services/ntp/_fastpath.c keeps
the same table in C for the NTP workers; both follow the rules written here."""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import Protocol

SECOND = 1_000_000_000


class Clients(Protocol):
    def admit(self, address: str, now_ns: int, limited: bool) -> bool: ...

    def recent(self, count: int) -> list[tuple[str, int, int]]: ...


def bucket(interval_s: float, leak: int) -> tuple[int, int]:
    """Nanoseconds of tokens per request, and the mask that lets one in 2**leak through
    over the limit (-1: none)."""
    return max(1, int(interval_s * SECOND)), (1 << leak) - 1 if leak > 0 else -1


class ClientTable:
    """`interval` seconds per request on average, bursts of `burst`. Over the limit, one
    request in 2**leak still gets a normal answer, so a victim whose address is spoofed by
    a flood is not cut off from time. The least recently seen client is forgotten first."""

    def __init__(
        self, interval_s: float, burst: int, leak: int, clients: int, rng: random.Random
    ) -> None:
        self.refill_ns, self.leak_mask = bucket(interval_s, leak)
        self.burst = burst
        self.clients = clients
        self.rng = rng
        self.table: OrderedDict[str, list[int]] = OrderedDict()
        """address -> [tokens, last request, requests]"""

    def admit(self, address: str, now_ns: int, limited: bool = True) -> bool:
        """Records a request; True to answer. Tokens are kept as multiples of `refill_ns`
        nanoseconds; a client exempt from the limit (`limited` false) spends none."""
        entry = self.table.get(address)
        capacity = self.burst * self.refill_ns
        if entry is None:
            if len(self.table) >= self.clients:
                self.table.popitem(last=False)
            self.table[address] = [capacity - self.refill_ns, now_ns, 1]
            return True
        self.table.move_to_end(address)
        tokens = min(capacity, entry[0] + now_ns - entry[1])
        entry[1] = now_ns
        entry[2] += 1
        if not limited or tokens >= self.refill_ns:
            entry[0] = tokens - self.refill_ns if limited else tokens
            return True
        entry[0] = tokens
        return self.leak_mask >= 0 and (self.rng.getrandbits(16) & self.leak_mask) == 0

    def recent(self, count: int) -> list[tuple[str, int, int]]:
        """The `count` clients heard from last: (address, requests, last request time)."""
        found: list[tuple[str, int, int]] = []
        for address in reversed(self.table):
            if len(found) == count:
                break
            _, last, requests = self.table[address]
            found.append((address, requests, last))
        return found
