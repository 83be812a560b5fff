"""The console login: prompt, secret password, forced change of a one-time password, shell,
and the lockout after repeated failures."""

from firmware.admin.passwords import verify_password
from tests.firmware.admin.conftest import PASSWORD, Bench


def test_wrong_password_is_refused_and_logged_with_source(bench: Bench) -> None:
    session = bench.login_session()
    assert session.greeting().endswith(b"login: ")
    assert session.feed(b"admin\r") == b"admin\r\nPassword: "
    out = session.feed(b"guess-guess-guess\r")
    assert b"guess" not in out
    assert out == b"\r\nLogin incorrect\r\n\r\nlogin: "
    (event,) = bench.seen
    assert event.kind == "login.failed" and event.security
    assert event.fields == {"user": "admin", "source": "console"}
    assert "guess" not in event.message


def test_one_time_password_must_be_changed_then_shell(bench: Bench) -> None:
    session = bench.login_session()
    session.feed(b"admin\r")
    out = session.feed(PASSWORD.encode() + b"\r")
    assert b"must be changed" in out and out.endswith(b"New password: ")
    assert b"at least 12" in session.feed(b"short\r")
    assert session.feed(b"a-new-long-password\r").endswith(b"Retype new password: ")
    assert b"do not match" in session.feed(b"something-else-entirely\r")
    session.feed(b"a-new-long-password\r")
    out = session.feed(b"a-new-long-password\r")
    assert out.endswith(b"Password changed.\r\nadmin@ts-1> ")
    assert bench.users.check("admin", "a-new-long-password") is not None
    assert bench.users.check("admin", PASSWORD) is None
    assert b"gps         THREE_D fix" in session.feed(b"status\r")
    assert session.feed(b"logout\r").endswith(b"login: ")
    assert [e.kind for e in bench.seen] == ["login.ok", "password.changed", "logout"]
    assert all("a-new-long-password" not in e.message for e in bench.seen)


def test_passwd_asks_for_the_current_password(bench: Bench) -> None:
    session = bench.login_session()
    session.feed(b"watcher\r")
    session.feed(b"watcher-password-1\r")
    assert session.feed(b"passwd\r").endswith(b"Current password: ")
    assert b"Wrong password." in session.feed(b"not-it-at-all\r")
    session.feed(b"passwd\r")
    session.feed(b"watcher-password-1\r")
    session.feed(b"watcher-password-2\r")
    assert session.feed(b"watcher-password-2\r").endswith(b"Password changed.\r\nwatcher@ts-1> ")
    stored = bench.users.load()["watcher"].password_hash
    assert verify_password("watcher-password-2", stored)


def test_five_failures_lock_source_and_account(bench: Bench) -> None:
    for attempt in range(5):
        session = bench.login_session(source="192.0.2.66")
        session.feed(b"admin\r")
        session.feed(f"wrong-password-{attempt}".encode() + b"\r")
    locked = bench.login_session(source="192.0.2.66")
    locked.feed(b"admin\r")
    assert locked.feed(PASSWORD.encode() + b"\r").endswith(b"Login incorrect\r\n\r\nlogin: ")
    elsewhere = bench.login_session(source="192.0.2.67")
    elsewhere.feed(b"admin\r")
    assert b"Login incorrect" in elsewhere.feed(PASSWORD.encode() + b"\r"), "account locked too"
    other_user = bench.login_session(source="192.0.2.68")
    other_user.feed(b"watcher\r")
    assert b"watcher@ts-1> " in other_user.feed(b"watcher-password-1\r")
    kinds = [e.kind for e in bench.seen]
    assert kinds.count("login.lockout") == 2  # the source and the account
    bench.clock.step(901)
    later = bench.login_session(source="192.0.2.66")
    later.feed(b"admin\r")
    assert b"must be changed" in later.feed(PASSWORD.encode() + b"\r")


def test_unknown_user_is_refused_like_a_wrong_password(bench: Bench) -> None:
    session = bench.login_session()
    session.feed(b"root\r")
    assert session.feed(b"whatever-password\r").endswith(b"Login incorrect\r\n\r\nlogin: ")
    assert bench.seen[0].fields["user"] == "root"
