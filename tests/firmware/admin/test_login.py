"""The console login: prompt, secret password, forced change of a one-time password, shell,
and the lockout after repeated failures; hashing never holds up the event loop."""

import asyncio
from collections.abc import Awaitable

from firmware.admin.login import Recovery
from firmware.admin.passwords import verify_password
from tests.firmware.admin.conftest import PASSWORD, Bench


async def test_wrong_password_is_refused_and_logged_with_source(bench: Bench) -> None:
    session = bench.login_session()
    assert session.greeting().endswith(b"login: ")
    assert await session.feed(b"admin\r") == b"admin\r\nPassword: "
    out = await session.feed(b"guess-guess-guess\r")
    assert b"guess" not in out
    assert out == b"\r\nLogin incorrect\r\n\r\nlogin: "
    (event,) = bench.seen
    assert event.kind == "login.failed" and event.security
    assert event.fields == {"user": "admin", "source": "console"}
    assert "guess" not in event.message


async def test_one_time_password_must_be_changed_then_shell(bench: Bench) -> None:
    session = bench.login_session()
    await session.feed(b"admin\r")
    out = await session.feed(PASSWORD.encode() + b"\r")
    assert b"must be changed" in out and out.endswith(b"New password: ")
    assert b"at least 12" in await session.feed(b"short\r")
    assert (await session.feed(b"a-new-long-password\r")).endswith(b"Retype new password: ")
    assert b"do not match" in await session.feed(b"something-else-entirely\r")
    await session.feed(b"a-new-long-password\r")
    out = await session.feed(b"a-new-long-password\r")
    assert out.endswith(b"Password changed.\r\nadmin@ts-1> ")
    assert bench.users.check("admin", "a-new-long-password") is not None
    assert bench.users.check("admin", PASSWORD) is None
    assert b"gps         THREE_D fix" in await session.feed(b"status\r")
    assert (await session.feed(b"logout\r")).endswith(b"login: ")
    assert [e.kind for e in bench.seen] == ["login.ok", "password.changed", "logout"]
    assert all("a-new-long-password" not in e.message for e in bench.seen)


async def test_passwd_asks_for_the_current_password(bench: Bench) -> None:
    session = bench.login_session()
    await session.feed(b"watcher\r")
    await session.feed(b"watcher-password-1\r")
    assert (await session.feed(b"passwd\r")).endswith(b"Current password: ")
    assert b"Wrong password." in await session.feed(b"not-it-at-all\r")
    await session.feed(b"passwd\r")
    await session.feed(b"watcher-password-1\r")
    await session.feed(b"watcher-password-2\r")
    assert (await session.feed(b"watcher-password-2\r")).endswith(
        b"Password changed.\r\nwatcher@ts-1> "
    )
    stored = bench.users.load()["watcher"].password_hash
    assert verify_password("watcher-password-2", stored)


async def test_five_failures_lock_source_and_account(bench: Bench) -> None:
    for attempt in range(5):
        session = bench.login_session(source="192.0.2.66")
        await session.feed(b"admin\r")
        await session.feed(f"wrong-password-{attempt}".encode() + b"\r")
    locked = bench.login_session(source="192.0.2.66")
    await locked.feed(b"admin\r")
    out = await locked.feed(PASSWORD.encode() + b"\r")
    assert out.endswith(b"Login incorrect\r\n\r\nlogin: ")
    elsewhere = bench.login_session(source="192.0.2.67")
    await elsewhere.feed(b"admin\r")
    assert b"Login incorrect" in await elsewhere.feed(PASSWORD.encode() + b"\r"), (
        "account locked too"
    )
    other_user = bench.login_session(source="192.0.2.68")
    await other_user.feed(b"watcher\r")
    assert b"watcher@ts-1> " in await other_user.feed(b"watcher-password-1\r")
    kinds = [e.kind for e in bench.seen]
    assert kinds.count("login.lockout") == 2  # the source and the account
    bench.clock.step(901)
    later = bench.login_session(source="192.0.2.66")
    await later.feed(b"admin\r")
    assert b"must be changed" in await later.feed(PASSWORD.encode() + b"\r")


async def test_unknown_user_is_refused_like_a_wrong_password(bench: Bench) -> None:
    session = bench.login_session()
    await session.feed(b"root\r")
    assert (await session.feed(b"whatever-password\r")).endswith(b"Login incorrect\r\n\r\nlogin: ")
    assert bench.seen[0].fields["user"] == "root"


async def ticks_during(work: Awaitable[bytes]) -> tuple[int, bytes]:
    """How often another task got to run while `work` was awaited, and what it gave."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)  # the ticker is waiting on its first sleep
    try:
        out = await work
    finally:
        ticker.cancel()
    return ticks, out


async def test_the_event_loop_runs_while_passwords_are_hashed(bench: Bench) -> None:
    """scrypt takes about 0.1 s: the NTP publisher and the other sessions go on meanwhile."""
    session = bench.login_session()
    await session.feed(b"watcher\r")
    ticks, out = await ticks_during(session.feed(b"watcher-password-1\r"))
    assert out.endswith(b"watcher@ts-1> ") and ticks >= 3, "checking a password"
    await session.feed(b"passwd\r")
    await session.feed(b"watcher-password-1\r")
    await session.feed(b"watcher-password-2\r")
    ticks, out = await ticks_during(session.feed(b"watcher-password-2\r"))
    assert out.endswith(b"Password changed.\r\nwatcher@ts-1> ") and ticks >= 3, "hashing one"


async def test_an_account_locked_while_its_password_was_checked_stays_locked(bench: Bench) -> None:
    session = bench.login_session(source="192.0.2.70")
    await session.feed(b"watcher\r")
    checking = asyncio.create_task(session.feed(b"watcher-password-1\r"))
    await asyncio.sleep(0)  # the check is under way in its thread
    for _ in range(5):  # meanwhile, other sessions fail for the same account
        bench.guard.failed("watcher", "192.0.2.71", bench.clock.now_ns())
    assert (await checking).endswith(b"Login incorrect\r\n\r\nlogin: ")


async def test_console_failures_lock_the_console_and_say_so(bench: Bench) -> None:
    session = bench.login_session()
    for attempt in range(5):
        await session.feed(b"admin\r")
        out = await session.feed(f"wrong-password-{attempt}".encode() + b"\r")
    assert out == (
        b"\r\nLogin incorrect\r\n"
        b"The console is locked for 60 s more after too many failed logins.\r\nlogin: "
    )
    bench.clock.step(20)
    assert b"locked for 40 s more" in await session.feed(b"admin\r"), "not asked for a password"
    network = bench.login_session(source="192.0.2.80")
    await network.feed(b"admin\r")
    assert b"must be changed" in await network.feed(PASSWORD.encode() + b"\r")
    bench.clock.step(41)
    await session.feed(b"admin\r")
    assert b"must be changed" in await session.feed(PASSWORD.encode() + b"\r")


async def test_network_failures_leave_the_console_open(bench: Bench) -> None:
    for attempt in range(6):
        session = bench.login_session(source="192.0.2.81")
        await session.feed(b"admin\r")
        await session.feed(f"wrong-password-{attempt}".encode() + b"\r")
    console = bench.login_session()
    await console.feed(b"admin\r")
    assert b"must be changed" in await console.feed(PASSWORD.encode() + b"\r")


class Monotonic:
    """A CLOCK_MONOTONIC the test moves."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


async def test_password_recovery_on_the_console_soon_after_boot(bench: Bench) -> None:
    clock = Monotonic()
    recovery = Recovery("TS-0A1B2C3D4E5F", 300 * 10**9, clock)
    session = bench.login_session(recovery=recovery)
    out = await session.feed(b"recovery\r")
    assert out.endswith(b"Serial number: ") and b"account admin" in out
    assert (await session.feed(b"TS-000000000000\r")).endswith(b"Recovery refused\r\n\r\nlogin: ")
    await session.feed(b"recovery\r")
    await session.feed(b"ts-0a1b2c3d4e5f\r")  # as printed, in any case
    await session.feed(b"recovered-password-1\r")
    out = await session.feed(b"recovered-password-1\r")
    assert out.endswith(b"The admin password is set. Log in as admin.\r\n\r\nlogin: ")
    assert bench.users.check("admin", "recovered-password-1") is not None
    assert not bench.users.load()["admin"].must_change_password
    kinds = [(e.kind, e.fields.get("source")) for e in bench.seen]
    assert kinds == [("login.failed", "console"), ("admin.password_recovered", "console")]
    assert all("recovered-password-1" not in e.message for e in bench.seen)
    clock.now = 301 * 10**9  # the window has closed: `recovery` is just an unknown user
    await session.feed(b"recovery\r")
    assert (await session.feed(b"TS-0A1B2C3D4E5F\r")).endswith(b"Login incorrect\r\n\r\nlogin: ")


async def test_no_password_recovery_over_the_network(bench: Bench) -> None:
    # The console factory alone hands sessions a Recovery (firmware/boot.py); telnet's
    # sessions have none, so `recovery` is an unknown user there.
    session = bench.login_session(source="192.0.2.77")
    assert (await session.feed(b"recovery\r")).endswith(b"Password: ")
    assert b"Login incorrect" in await session.feed(b"TS-0A1B2C3D4E5F\r")
