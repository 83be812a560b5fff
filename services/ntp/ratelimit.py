"""Per-client rate limiting: token buckets in a bounded table, with a random leak."""

from __future__ import annotations

import random
from collections import OrderedDict

SECOND = 1_000_000_000


class RateLimiter:
    """`interval` seconds per request on average, bursts of `burst`. Over the limit, one
    request in 2**leak still gets a normal answer, so a victim whose address is spoofed by
    a flood is not cut off from time. The least recently seen client is forgotten first."""

    def __init__(
        self, interval_s: float, burst: int, leak: int, clients: int, rng: random.Random
    ) -> None:
        self.refill_ns = max(1, int(interval_s * SECOND))
        self.burst = burst
        self.leak_mask = (1 << leak) - 1 if leak > 0 else -1
        self.clients = clients
        self.rng = rng
        self.table: OrderedDict[str, list[int]] = OrderedDict()

    def allow(self, address: str, now_ns: int) -> bool:
        """True to answer. The bucket holds tokens as multiples of `refill_ns` nanoseconds."""
        entry = self.table.get(address)
        capacity = self.burst * self.refill_ns
        if entry is None:
            if len(self.table) >= self.clients:
                self.table.popitem(last=False)
            self.table[address] = [capacity - self.refill_ns, now_ns]
            return True
        self.table.move_to_end(address)
        tokens = min(capacity, entry[0] + now_ns - entry[1])
        entry[1] = now_ns
        if tokens >= self.refill_ns:
            entry[0] = tokens - self.refill_ns
            return True
        entry[0] = tokens
        return self.leak_mask >= 0 and (self.rng.getrandbits(16) & self.leak_mask) == 0
