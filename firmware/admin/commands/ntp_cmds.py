"""ntp stats, keys and rules: keys live in the keys file and apply at once, without a
restart; rules are config, staged like every config change."""

from __future__ import annotations

import datetime
from typing import Any

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.shell import Reply
from firmware.admin.staging import stage
from firmware.base.events import Severity

COUNTER_NAMES = ("served", "served_stale", "authenticated", "denied", "rate_limited",
                 "kod_sent", "bad_mac", "mode6", "mode7", "malformed", "bad_version",
                 "other_modes")  # fmt: skip
RULE_FLAGS = ("deny", "require_auth", "query", "nokod", "noratelimit")
FLAGS = " ".join(RULE_FLAGS)


def ntp(call: Call) -> Reply:
    args = call.args
    if not args or args[0] == "stats":
        fields = call.controls.status().get("ntp", {})
        if not fields:
            return Reply.failed("the NTP service is not running")
        lines = [f"{name:<14} {fields.get(name, 0)}" for name in COUNTER_NAMES]
        return Reply("\n".join([*lines, *_client_table(fields), _snapshot(fields)]))
    if args[0] == "clients":
        return _clients(call)
    if args[0] == "keys":
        return _keys(call, args[1:])
    if args[0] == "rules":
        return _rules(call, args[1:])
    return Reply.usage(f"usage: {USAGE}")


def _snapshot(fields: dict[str, Any]) -> str:
    """What the workers serve from: stale means the appliance stopped publishing, and every
    reply says LI 3, stratum 16, refid STAL until it publishes again."""
    age = fields.get("snapshot_age_ms", 0)
    if fields.get("snapshot_stale"):
        return f"{'snapshot':<14} STALE, {age} ms old: answering unsynchronised (refid STAL)"
    return f"{'snapshot':<14} fresh, {age} ms old"


def _client_table(fields: dict[str, Any]) -> list[str]:
    """How full the fast path's rate-limit table is, and its longest hash chain: a few
    entries at most, unless someone found addresses that collide."""
    table = fields.get("client_table")
    if not isinstance(table, dict):
        return []
    return [f"{'client table':<14} {table.get('clients', 0)} of {table.get('capacity', 0)} "
            f"clients, longest chain {table.get('longest_chain', 0)}"]  # fmt: skip


def _clients(call: Call) -> Reply:
    clients = call.controls.status().get("ntp", {}).get("clients", [])
    if not isinstance(clients, list) or not clients:
        return Reply("no clients seen")
    lines = [f"{'client':<40} {'requests':>9}  last request (host clock, UTC)"]
    for address, requests, last_ns in clients:
        moment = datetime.datetime.fromtimestamp(last_ns / 1e9, datetime.UTC)
        lines.append(f"{address:<40} {requests:>9}  {moment:%Y-%m-%d %H:%M:%S}")
    return Reply("\n".join(lines))


def _keys(call: Call, args: list[str]) -> Reply:
    keys = call.controls.ntp_keys
    if not args or args == ["list"]:
        return Reply("\n".join(f"{key_id:>5} {kind}" for key_id, kind in keys.listing())
                     or "no keys")  # fmt: skip
    before = dict(keys.listing())
    if args[0] == "add" and len(args) == 4 and args[1].isdigit():
        warning = keys.add(int(args[1]), args[2], args[3])
        kind = dict(keys.listing())[int(args[1])]
        call.audit("ntp-key", f"ntp.keys.{args[1]}", before.get(int(args[1])), kind)
        _event(call, f"NTP key {args[1]} ({kind}) added or rotated")
        text = f"key {args[1]} in use now, {AT_ONCE}; clients need the same key"
        return Reply(f"{warning}\n{text}" if warning else text)
    if args[0] == "remove" and len(args) == 2 and args[1].isdigit():
        keys.remove(int(args[1]))
        call.audit("ntp-key", f"ntp.keys.{args[1]}", before.get(int(args[1])), None)
        _event(call, f"NTP key {args[1]} removed")
        return Reply(f"key {args[1]} removed now, {AT_ONCE}")
    return Reply.usage("usage: ntp keys [list | add ID MD5|SHA1|AES128CMAC KEY | remove ID]")


def _rules(call: Call, args: list[str]) -> Reply:
    """Rules are numbered as `ntp rules list` shows them: the staged list when there is one."""
    committed = [r.model_dump() for r in call.controls.store.config.services.ntp.rules]
    staged = call.session.staged.get(RULES_KEY)
    rules: list[dict[str, Any]] = list(staged) if isinstance(staged, list) else committed
    if not args or args == ["list"]:
        return Reply(_listing(committed, staged if isinstance(staged, list) else None))
    if args[0] == "add" and len(args) >= 2:
        unknown = [flag for flag in args[2:] if flag not in RULE_FLAGS]
        if unknown:
            return Reply.usage(f"unknown flags {unknown}; flags are {', '.join(RULE_FLAGS)}")
        flags = set(args[2:])
        rules.append({
            "network": args[1], "action": "deny" if "deny" in flags else "allow",
            "require_auth": "require_auth" in flags, "query": "query" in flags,
            "kod": "nokod" not in flags, "ratelimit": "noratelimit" not in flags,
        })  # fmt: skip
    elif args[0] == "remove" and len(args) == 2 and args[1].isdigit():
        index = int(args[1]) - 1
        if not 0 <= index < len(rules):
            return Reply.failed(f"no rule {args[1]}")
        del rules[index]
    else:
        return Reply.usage(f"usage: ntp rules [list | add NETWORK [{FLAGS}] | remove N]")
    reply = stage(call.controls, call.session, {RULES_KEY: rules})
    if reply.status:
        return reply
    return Reply(f"{len(rules)} rules staged; 'config commit' to apply")


def _listing(committed: list[dict[str, Any]], staged: list[dict[str, Any]] | None) -> str:
    def numbered(rules: list[dict[str, Any]]) -> list[str]:
        return [f"{n + 1:>3} {_describe(rule)}" for n, rule in enumerate(rules)]

    lines = numbered(committed) or ["no rules: every client allowed, rate-limited"]
    if staged is not None and staged != committed:
        lines += ["staged, not committed ('config commit' to apply):"]
        lines += numbered(staged) or ["  (no rules)"]
    return "\n".join(lines)


def _describe(rule: dict[str, Any]) -> str:
    flags = [name for name in ("require_auth", "query") if rule[name]]
    flags += [] if rule["kod"] else ["nokod"]
    flags += [] if rule["ratelimit"] else ["noratelimit"]
    return f"{rule['action']:<5} {rule['network']:<24} {' '.join(flags)}"


def _event(call: Call, message: str) -> None:
    call.controls.bus.emit(
        "ntp.keys_changed", Severity.NOTICE, f"{message} by {call.session.user}",
        {"user": call.session.user, "source": call.session.source}, security=True,
    )  # fmt: skip


USAGE = "ntp [stats | clients | keys list|add|remove | rules list|add|remove]"
RULES_KEY = "services.ntp.rules"
AT_ONCE = "without restarting NTP (keys are not staged: they live in the keys file)"

COMMANDS = {
    "ntp": Command(
        f"{USAGE}\n"
        "  keys add|remove apply at once, without restarting NTP: keys live in the keys\n"
        "  file, not in the config, and are not staged.\n"
        "  rules add|remove stage a config change, like 'config set': 'config commit'\n"
        "  applies it; 'rules list' shows the rules in force and the staged ones.",
        ntp,
        writes=("keys add", "keys remove", "rules add", "rules remove"),
        subcommands=(
            "stats",
            "clients",
            "keys list",
            "keys add",
            "keys remove",
            "rules list",
            "rules add",
            "rules remove",
        ),  # fmt: skip
    ),  # fmt: skip
}
