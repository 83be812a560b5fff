"""The login guard: network failures lock the source and the account for network logins,
console failures lock only the console, and a flood of sources neither grows the tables
without bound nor unlocks a locked source."""

from firmware.admin.guard import CAPACITY, LoginGuard
from firmware.base.config.schema import Admin
from firmware.base.events import Event, EventBus
from sim.clock import SteppedClock

NOW = 1_800_000_000 * 10**9
SECOND = 10**9


def guard() -> tuple[LoginGuard, list[Event]]:
    bus = EventBus(SteppedClock(NOW))
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return LoginGuard(Admin(), bus), seen


def test_network_failures_never_lock_the_console() -> None:
    g, seen = guard()
    for n in range(6):
        g.failed("admin", "192.0.2.1", NOW + n)
    assert g.locked("admin", "192.0.2.1", NOW + 10)
    assert g.locked("admin", "198.51.100.7", NOW + 10), "the account, for network logins"
    assert not g.locked("admin", "console", NOW + 10)
    assert [e.message for e in seen] == [
        "source 192.0.2.1 locked for 900 s after 5 failed logins",
        "account admin locked for 900 s after 5 failed logins",
    ]


def test_console_failures_lock_the_console_only_and_for_a_while() -> None:
    g, seen = guard()
    for n in range(5):
        g.failed("admin", "console", NOW + n * SECOND)
    last = NOW + 4 * SECOND
    assert g.locked("admin", "console", last)
    assert g.locked("watcher", "console", last), "the console, whoever tries"
    assert g.seconds_left("admin", "console", last) == 60
    assert not g.locked("admin", "192.0.2.1", last), "network logins of the account still work"
    assert not g.locked("admin", "console", last + 60 * SECOND)
    assert seen[-1].message == "the console locked for 60 s after 5 failed logins"


def address(n: int) -> str:
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def test_a_full_table_forgets_only_the_least_recently_failed() -> None:
    g, _ = guard()
    for n in range(CAPACITY - 10):  # a scan: one failure from each of many addresses
        g.failed("nobody", address(n), NOW + n)
    for n in range(4):  # meanwhile, a guess short of the limit
        g.failed("admin", "192.0.2.1", NOW + CAPACITY + n)
    for n in range(100):  # the scan goes on past the table's capacity
        g.failed("nobody", address(CAPACITY + n), NOW + 2 * CAPACITY + n)
    assert len(g.failures) == CAPACITY
    assert "source:10.0.0.0" not in g.failures, "the least recently failed went first"
    g.failed("admin", "192.0.2.1", NOW + 3 * CAPACITY)
    assert g.locked("admin", "192.0.2.1", NOW + 3 * CAPACITY), "the count in progress was kept"


def test_a_flood_past_capacity_keeps_a_locked_source_locked() -> None:
    g, _ = guard()
    for n in range(5):
        g.failed("root", "192.0.2.9", NOW + n)
    assert g.locked("root", "192.0.2.9", NOW + 5)
    for n in range(2 * CAPACITY):  # bounded: twice the table, all within the lockout
        for _ in range(5):  # each source locks itself too
            g.failed(f"user{n}", address(n), NOW + 10 + n)
    assert g.locked("root", "192.0.2.9", NOW + 100 * SECOND)
    assert len(g.failures) <= CAPACITY
