"""passwd and users: two roles, admin and monitor (read-only)."""

from __future__ import annotations

from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.passwords import random_password
from firmware.admin.shell import Reply
from firmware.admin.users import User
from firmware.base.events import Severity

ROLES = ("admin", "monitor")
USERS_USAGE = "users [list | add NAME admin|monitor | remove NAME | password NAME]"


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
    if args[0] == "password" and len(args) == 2:
        return _one_time_password(call, accounts, args[1])
    return Reply.usage(f"usage: {USERS_USAGE}")


def _one_time_password(call: Call, accounts: dict[str, User], name: str) -> Reply:
    """Another account's password set to a new one-time password, changed at its next login:
    the admin never learns the password the user chooses."""
    if name not in accounts:
        return Reply.failed(f"no account {name!r}")
    if name == call.session.user:
        return Reply.failed("that is your own account: passwd changes your password")
    password = random_password()
    call.controls.users.set_one_time(name, password)
    call.audit("account", f"users.{name}.password", None, "one-time password")
    _event(call, "user.password_set", f"{call.session.user} set a one-time password for {name}")
    return Reply(f"{name}: one-time password {password} (changed at the next login)")


def _event(call: Call, kind: str, message: str) -> None:
    call.controls.bus.emit(
        kind, Severity.NOTICE, message,
        {"user": call.session.user, "source": call.session.source}, security=True,
    )  # fmt: skip


COMMANDS = {
    "passwd": Command("change your password", lambda call: Reply("", action="passwd")),
    "users": Command(
        f"{USERS_USAGE}\n"
        "  add and password print a one-time password, changed at the account's next login.",
        users,
        writes=("add", "remove", "password"),
        subcommands=("list", "add", "remove", "password"),
    ),  # fmt: skip
}
