"""snmp users and traps: SNMPv3 users and notification targets are config, staged like every
config change ('config commit' applies them); `snmp traps test` sends a test notification
to every target of the running service. Passphrases and communities are never shown."""

from __future__ import annotations

from typing import Any

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.shell import Reply
from firmware.admin.staging import APPLY, stage
from firmware.base.events import Severity

USERS_KEY = "services.snmp.users"
TRAPS_KEY = "services.snmp.traps"
AUTH = ("SHA-256", "SHA-512", "SHA")
USERS_USAGE = f"snmp users [list | add NAME AUTH_PASS PRIV_PASS [{'|'.join(AUTH)}] | remove NAME]"
TRAPS_USAGE = ("snmp traps [list | add ADDRESS[:PORT] USER [trap] | add ADDRESS[:PORT] v2c "
               "COMMUNITY | remove N | test]")  # fmt: skip
USAGE = "snmp [users list|add|remove | traps list|add|remove|test]"


def snmp(call: Call) -> Reply:
    args = call.args
    if args[:1] == ["users"]:
        return _users(call, args[1:])
    if args[:1] == ["traps"]:
        return _traps(call, args[1:])
    return Reply.usage(f"usage: {USAGE}")


def _current(call: Call, key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The committed list and the staged one, if this session staged one."""
    section = call.controls.store.config.services.snmp
    committed = [item.model_dump() for item in getattr(section, key.rsplit(".", 1)[1])]
    staged = call.session.staged.get(key)
    return committed, list(staged) if isinstance(staged, list) else None


def _users(call: Call, args: list[str]) -> Reply:
    committed, staged = _current(call, USERS_KEY)
    users = list(staged if staged is not None else committed)
    if not args or args == ["list"]:
        return Reply(_listing(committed, staged, _describe_user, "no SNMPv3 users"))
    if args[0] == "add" and len(args) in (4, 5):
        auth = args[4].upper() if len(args) == 5 else "SHA-256"
        if auth not in AUTH:
            return Reply.usage(f"unknown authentication {args[4]!r}; one of {', '.join(AUTH)}")
        users = [user for user in users if user["name"] != args[1]]
        users.append({"name": args[1], "auth": auth, "auth_passphrase": args[2], "priv": "AES",
                      "priv_passphrase": args[3]})  # fmt: skip
    elif args[0] == "remove" and len(args) == 2:
        if not any(user["name"] == args[1] for user in users):
            return Reply.failed(f"no SNMPv3 user {args[1]!r}")
        users = [user for user in users if user["name"] != args[1]]
    else:
        return Reply.usage(f"usage: {USERS_USAGE}")
    return _stage(call, USERS_KEY, users, "users")


def _traps(call: Call, args: list[str]) -> Reply:
    committed, staged = _current(call, TRAPS_KEY)
    targets = list(staged if staged is not None else committed)
    if not args or args == ["list"]:
        return Reply(_listing(committed, staged, _describe_target, "no notification targets"))
    if args == ["test"]:
        return _test(call, len(committed))
    if args[0] == "add" and len(args) in (3, 4):
        target = _target(args[1:])
        if target is None:
            return Reply.usage(f"usage: {TRAPS_USAGE}")
        targets.append(target)
    elif args[0] == "remove" and len(args) == 2 and args[1].isdigit():
        index = int(args[1]) - 1
        if not 0 <= index < len(targets):
            return Reply.failed(f"no notification target {args[1]}")
        del targets[index]
    else:
        return Reply.usage(f"usage: {TRAPS_USAGE}")
    return _stage(call, TRAPS_KEY, targets, "notification targets")


def _target(args: list[str]) -> dict[str, Any] | None:
    """`ADDRESS[:PORT] USER [trap]` or `ADDRESS[:PORT] v2c COMMUNITY` as a [[traps]] table."""
    where = args[0]
    address, port = where, 162
    if where.startswith("["):
        address, _, rest = where[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else 162
    elif where.count(":") == 1:
        address, _, number = where.partition(":")
        if not number.isdigit():
            return None
        port = int(number)
    if args[1] == "v2c":
        if len(args) != 3:
            return None
        return {"address": address, "port": port, "version": "v2c", "community": args[2]}
    if len(args) == 3 and args[2] != "trap":
        return None
    return {"address": address, "port": port, "version": "v3", "user": args[1],
            "inform": len(args) == 2}  # fmt: skip


def _stage(call: Call, key: str, items: list[dict[str, Any]], what: str) -> Reply:
    reply = stage(call.controls, call.session, {key: items})
    if reply.status:
        return reply
    return Reply(f"{len(items)} {what} staged; {APPLY}")


def _test(call: Call, targets: int) -> Reply:
    running = call.controls.status().get("snmp", {})
    if running.get("state") != "running":
        return Reply.failed("snmp is not running: 'services enable snmp', then config commit")
    if not targets:
        return Reply.failed("no notification targets: 'snmp traps add', then config commit")
    user = call.session.user
    call.controls.bus.emit(
        "snmp.test", Severity.NOTICE, f"test notification asked for by {user}",
        {"user": user, "source": call.session.source},
    )  # fmt: skip
    return Reply(f"test notification (tsTestNotification) handed to snmpd for {targets} targets")


def _listing(committed: list[dict[str, Any]], staged: list[dict[str, Any]] | None,
             describe: Any, empty: str) -> str:  # fmt: skip
    def numbered(items: list[dict[str, Any]]) -> list[str]:
        return [f"{n + 1:>3} {describe(item)}" for n, item in enumerate(items)]

    lines = numbered(committed) or [empty]
    if staged is not None and staged != committed:
        lines += ["staged, not committed ('config commit' to apply):"]
        lines += numbered(staged) or ["  (none)"]
    return "\n".join(lines)


def _describe_user(user: dict[str, Any]) -> str:
    return f"{user['name']:<32} authPriv {user['auth']}/{user['priv']}"


def _describe_target(target: dict[str, Any]) -> str:
    address = f"[{target['address']}]" if ":" in target["address"] else target["address"]
    where = f"{address}:{target['port']}"
    if target["version"] == "v2c":
        return f"{where:<28} v2c trap"
    kind = "inform" if target["inform"] else "trap"
    return f"{where:<28} v3 {kind} as {target['user']}"


COMMANDS = {
    "snmp": Command(
        f"{USAGE}\n"
        f"  {USERS_USAGE}\n"
        f"  {TRAPS_USAGE}\n"
        "  users and traps add|remove stage a config change: 'config commit' applies it.\n"
        "  traps test sends a test notification to every committed target.",
        snmp,
        writes=("users add", "users remove", "traps add", "traps remove", "traps test"),
        subcommands=("users", "traps"),
    ),
}
