"""ntp stats, keys and rules: keys change without a restart; rules are config."""

from __future__ import annotations

import datetime
from typing import Any

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.commit import commit
from firmware.admin.shell import Reply
from firmware.base.events import Severity

COUNTER_NAMES = ("served", "served_stale", "authenticated", "denied", "rate_limited",
                 "kod_sent", "bad_mac", "mode6", "mode7", "malformed", "other_modes")  # fmt: skip
RULE_FLAGS = ("deny", "require_auth", "query", "nokod", "noratelimit")


def ntp(call: Call) -> Reply:
    args = call.args
    if not args or args[0] == "stats":
        fields = call.controls.status().get("ntp", {})
        if not fields:
            return Reply("the NTP service is not running")
        lines = [f"{name:<14} {fields.get(name, 0)}" for name in COUNTER_NAMES]
        return Reply("\n".join([*lines, _snapshot(fields)]))
    if args[0] == "clients":
        return _clients(call)
    if args[0] == "keys":
        return _keys(call, args[1:])
    if args[0] == "rules":
        return _rules(call, args[1:])
    return Reply("usage: ntp [stats | clients | keys list|add|remove | rules list|add|remove]")


def _snapshot(fields: dict[str, Any]) -> str:
    """What the workers serve from: stale means the appliance stopped publishing, and every
    reply says LI 3, stratum 16, refid STAL until it publishes again."""
    age = fields.get("snapshot_age_ms", 0)
    if fields.get("snapshot_stale"):
        return f"{'snapshot':<14} STALE, {age} ms old: answering unsynchronised (refid STAL)"
    return f"{'snapshot':<14} fresh, {age} ms old"


def _clients(call: Call) -> Reply:
    clients = call.controls.status().get("ntp", {}).get("clients", [])
    if not isinstance(clients, list) or not clients:
        return Reply("no clients seen")
    lines = [f"{'client':<40} {'requests':>9}  last request (UTC)"]
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
        text = f"key {args[1]} in use; clients need the same key"
        return Reply(f"{warning}\n{text}" if warning else text)
    if args[0] == "remove" and len(args) == 2 and args[1].isdigit():
        keys.remove(int(args[1]))
        call.audit("ntp-key", f"ntp.keys.{args[1]}", before.get(int(args[1])), None)
        _event(call, f"NTP key {args[1]} removed")
        return Reply(f"key {args[1]} removed")
    return Reply("usage: ntp keys [list | add ID MD5|SHA1|AES128CMAC KEY | remove ID]")


def _rules(call: Call, args: list[str]) -> Reply:
    store = call.controls.store
    rules: list[dict[str, Any]] = [r.model_dump() for r in store.config.services.ntp.rules]
    if not args or args == ["list"]:
        lines = [f"{n + 1:>3} {_describe(rule)}" for n, rule in enumerate(rules)]
        return Reply("\n".join(lines) or "no rules: every client allowed, rate-limited")
    if args[0] == "add" and len(args) >= 2:
        unknown = [flag for flag in args[2:] if flag not in RULE_FLAGS]
        if unknown:
            return Reply(f"unknown flags {unknown}; flags are {', '.join(RULE_FLAGS)}")
        flags = set(args[2:])
        rules.append({
            "network": args[1], "action": "deny" if "deny" in flags else "allow",
            "require_auth": "require_auth" in flags, "query": "query" in flags,
            "kod": "nokod" not in flags, "ratelimit": "noratelimit" not in flags,
        })  # fmt: skip
    elif args[0] == "remove" and len(args) == 2 and args[1].isdigit():
        index = int(args[1]) - 1
        if not 0 <= index < len(rules):
            return Reply(f"no rule {args[1]}")
        del rules[index]
    else:
        return Reply(f"usage: ntp rules [list | add NETWORK [{' '.join(RULE_FLAGS)}] | remove N]")
    outcome = commit(call.controls, call.session, {"services.ntp.rules": rules})
    if not outcome.committed:
        return Reply(outcome.text)
    return Reply(f"{len(rules)} rules in force{outcome.text}")


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


COMMANDS = {
    "ntp": Command(
        "ntp [stats | clients | keys list|add|remove | rules list|add|remove]",
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
