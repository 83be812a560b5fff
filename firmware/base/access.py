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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RuleSet:
    """Compiled rules: the allow-list, then (network, decision) in order, then `default`
    for an address no rule names. Immutable, so that every executor can share one."""

    allow: tuple[Network, ...]
    rules: tuple[tuple[Network, Decision], ...]
    default: Decision = DEFAULT

    @classmethod
    def compile(cls, rules: Sequence[Rule], allow: Sequence[str]) -> RuleSet:
        return cls(
            tuple(ipaddress.ip_network(network) for network in allow),
            tuple(
                (ipaddress.ip_network(rule.network),
                 Decision(rule.action == "allow", rule.require_auth, rule.query, rule.kod,
                          rule.ratelimit))
                for rule in rules
            ),
        )  # fmt: skip

    def decide(self, address: str) -> Decision:
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
        return self.default


class AccessRules:
    """A RuleSet's decisions, cached per address."""

    def __init__(self, rules: Sequence[Rule], allow: Sequence[str]) -> None:
        self.compiled = RuleSet.compile(rules, allow)
        self.cache: dict[str, Decision] = {}

    def decide(self, address: str) -> Decision:
        decision = self.cache.get(address)
        if decision is None:
            decision = self.compiled.decide(address)
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            self.cache[address] = decision
        return decision
