"""Access rules for every service: ordered, first match wins, IPv4 and IPv6, behind the
service's own allow-list; decisions cached per address (free of I/O and events)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

CACHE_LIMIT = 65536


class Rule(Protocol):
    """One rule as a service's config gives it (NTP's [[services.ntp.rules]] are these)."""

    @property
    def network(self) -> str: ...
    @property
    def action(self) -> str:
        """ "allow" or "deny"."""
        ...

    @property
    def require_auth(self) -> bool: ...
    @property
    def query(self) -> bool: ...
    @property
    def kod(self) -> bool: ...
    @property
    def ratelimit(self) -> bool: ...


@dataclass(frozen=True)
class Decision:
    allow: bool
    require_auth: bool
    query: bool
    kod: bool
    ratelimit: bool


DEFAULT = Decision(True, False, False, True, True)
DENY = Decision(False, False, False, False, False)


class AccessRules:
    def __init__(self, rules: Sequence[Rule], allow: Sequence[str]) -> None:
        self.allow = [ipaddress.ip_network(network) for network in allow]
        self.rules = [
            (
                ipaddress.ip_network(rule.network),
                Decision(rule.action == "allow", rule.require_auth, rule.query, rule.kod,
                         rule.ratelimit),
            )
            for rule in rules
        ]  # fmt: skip
        self.cache: dict[str, Decision] = {}

    def decide(self, address: str) -> Decision:
        decision = self.cache.get(address)
        if decision is None:
            decision = self._decide(address)
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            self.cache[address] = decision
        return decision

    def _decide(self, address: str) -> Decision:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return DENY
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.allow and not any(ip in network for network in self.allow):
            return DENY
        for network, decision in self.rules:
            if ip in network:
                return decision
        return DEFAULT
