"""Changing one's own password, one implementation for every console (serial, telnet, SSH)
and the web page: the current password checked in a thread, the policy and the retyped copy,
the scrypt hash stored, and the events, never with a password in them."""

from __future__ import annotations

from firmware.admin.passwords import PasswordError, check_policy
from firmware.admin.users import UserStore
from firmware.base.events import EventBus, Severity


async def current_password_ok(
    users: UserStore, events: EventBus, user: str, source: str, password: str
) -> bool:
    """Whether `password` is the user's; a wrong one is a security event."""
    if await users.check_off_loop(user, password) is not None:
        return True
    events.emit(
        "password.change_failed", Severity.WARNING,
        f"{user} gave a wrong current password from {source}",
        {"user": user, "source": source}, security=True,
    )  # fmt: skip
    return False


def new_password_problem(password: str, retyped: str | None = None) -> str:
    """Why a new password is refused ("" when it is not): the policy, or a retyped copy
    that differs (None: not retyped yet)."""
    try:
        check_policy(password)
    except PasswordError as exc:
        return str(exc)
    if retyped is not None and retyped != password:
        return "Passwords do not match."
    return ""


async def store_new_password(
    users: UserStore, events: EventBus, user: str, source: str, password: str
) -> None:
    """Hash and keep the password the user chose (it no longer needs changing)."""
    await users.set_password_off_loop(user, password)
    events.emit(
        "password.changed", Severity.NOTICE, f"{user} changed their password",
        {"user": user, "source": source}, security=True,
    )  # fmt: skip
