"""passwd and users: two roles, admin and monitor (read-only)."""

from __future__ import annotations

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.passwords import random_password
from firmware.admin.shell import Reply
from firmware.base.events import Severity

ROLES = ("admin", "monitor")


def users(call: Call) -> Reply:
    args, store = call.args, call.controls.users
    accounts = store.load()
    if not args or args == ["list"]:
        return Reply("\n".join(
            f"{name:<16} {user.role:<8}"
            f"{' (must change password)' if user.must_change_password else ''}"
            for name, user in sorted(accounts.items())
        ))  # fmt: skip
    if args[0] == "add" and len(args) == 3:
        name, role = args[1], args[2]
        if role not in ROLES:
            return Reply.usage(f"role must be one of {', '.join(ROLES)}")
        if name in accounts or not name.isidentifier():
            return Reply.failed(f"cannot add {name!r}: it exists or is not a plain name")
        password = random_password()
        store.create(name, role, password, must_change=True)  # type: ignore[arg-type]
        call.audit("account", f"users.{name}", None, {"role": role})
        _event(call, "user.added", f"{call.session.user} added {role} account {name}")
        return Reply(f"{name} added; one-time password {password} (changed at first login)")
    if args[0] == "remove" and len(args) == 2:
        name = args[1]
        if name not in accounts:
            return Reply.failed(f"no account {name!r}")
        if name == call.session.user or (
            accounts[name].role == "admin"
            and sum(u.role == "admin" for u in accounts.values()) == 1
        ):
            return Reply.failed("refused: that would leave no one to administer the appliance")
        role = accounts.pop(name).role
        store.save(accounts)
        call.audit("account", f"users.{name}", {"role": role}, None)
        _event(call, "user.removed", f"{call.session.user} removed account {name}")
        return Reply(f"{name} removed")
    return Reply.usage("usage: users [list | add NAME admin|monitor | remove NAME]")


def _event(call: Call, kind: str, message: str) -> None:
    call.controls.bus.emit(
        kind, Severity.NOTICE, message,
        {"user": call.session.user, "source": call.session.source}, security=True,
    )  # fmt: skip


COMMANDS = {
    "passwd": Command("change your password", lambda call: Reply("", action="passwd")),
    "users": Command(
        "users [list | add NAME admin|monitor | remove NAME]",
        users,
        writes=("add", "remove"),
        subcommands=("list", "add", "remove"),
    ),  # fmt: skip
}
