"""The console login: prompt, secret password, forced change of a one-time password, shell."""

from pathlib import Path

import pytest

from firmware.admin.commands import Interpreter
from firmware.admin.login import LoginSession
from firmware.admin.users import UserStore
from firmware.events import Event, EventBus
from sim.clock import SteppedClock

PASSWORD = "one-time-password-1"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[LoginSession, UserStore, list[Event]]:
    users = UserStore(tmp_path / "users.json")
    users.create("admin", "admin", PASSWORD, must_change=True)
    bus = EventBus(SteppedClock(0))
    seen: list[Event] = []
    bus.subscribe(seen.append)
    status = {"gps": {"state": "running", "fix": "THREE_D"}}
    session = LoginSession(users, bus, Interpreter(lambda: status, "ts-1"), "console")
    return session, users, seen


def test_wrong_password_is_refused_and_logged_with_source(setup) -> None:  # type: ignore[no-untyped-def]
    session, _, seen = setup
    assert session.greeting().endswith(b"login: ")
    assert session.feed(b"admin\r") == b"admin\r\nPassword: "
    out = session.feed(b"guess-guess-guess\r")
    assert b"guess" not in out
    assert out == b"\r\nLogin incorrect\r\n\r\nlogin: "
    (event,) = seen
    assert event.kind == "login.failed" and event.security
    assert event.fields == {"user": "admin", "source": "console"}
    assert "guess" not in event.message


def test_one_time_password_must_be_changed_then_shell(setup) -> None:  # type: ignore[no-untyped-def]
    session, users, seen = setup
    session.feed(b"admin\r")
    out = session.feed(PASSWORD.encode() + b"\r")
    assert b"must be changed" in out and out.endswith(b"New password: ")
    assert b"at least 12" in session.feed(b"short\r")
    assert session.feed(b"a-new-long-password\r").endswith(b"Retype new password: ")
    assert b"do not match" in session.feed(b"something-else-entirely\r")
    session.feed(b"a-new-long-password\r")
    out = session.feed(b"a-new-long-password\r")
    assert out.endswith(b"Password changed.\r\nadmin@ts-1> ")
    assert users.check("admin", "a-new-long-password") is not None
    assert users.check("admin", PASSWORD) is None
    assert not users.load()["admin"].must_change_password
    out = session.feed(b"status\r")
    assert b"gps         THREE_D fix" in out and b"  gps       running" in out
    assert session.feed(b"logout\r").endswith(b"login: ")
    kinds = [e.kind for e in seen]
    assert kinds == ["login.ok", "password.changed", "logout"]
    assert all("a-new-long-password" not in e.message for e in seen)


def test_unknown_user_is_refused_like_a_wrong_password(setup) -> None:  # type: ignore[no-untyped-def]
    session, _, seen = setup
    session.feed(b"root\r")
    assert session.feed(b"whatever-password\r").endswith(b"Login incorrect\r\n\r\nlogin: ")
    assert seen[0].fields["user"] == "root"


def test_help_and_unknown_commands(tmp_path: Path) -> None:
    interpreter = Interpreter(dict, "ts-1")
    assert "status" in interpreter.run("help", "admin").text
    assert interpreter.run("help status", "admin").text.startswith("status: ")
    assert "unknown command 'frobnicate'" in interpreter.run("frobnicate", "admin").text
    assert interpreter.run('"unclosed', "admin").text.startswith("error: ")
    assert interpreter.complete("st") == ["status"]
