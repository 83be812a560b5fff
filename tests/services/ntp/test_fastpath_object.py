"""The FastPath object itself (services/ntp/_fastpath.c): made without __init__, initialised
twice, or after an __init__ or a set_policy that failed half-way, it refuses clearly and
leaks nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from firmware.base.access import RuleSet
from services.ntp import fast
from services.ntp.policy import Limits, Policy

SECOND = 1_000_000_000
NETWORK = (b"\0" * 10 + b"\xff\xff" + bytes([127, 0, 0, 0]), 104, True, True, False, True, True)
POLICY = Policy(RuleSet((), ()), Limits(1.0, 2, 0, 3), False)
"""2 requests of burst, 1 s apart, three clients kept."""

if fast.FastPath is None:
    pytestmark = pytest.mark.skipif(
        os.environ.get("CI") != "true", reason="the fast path extension is not built"
    )

# Each method of an object FastPath.__new__ made, in a child process: before the fix some
# of these read the client table through a null pointer and killed the interpreter.
UNINITIALISED = textwrap.dedent(
    """
    from services.ntp._fastpath import FastPath
    path = FastPath.__new__(FastPath)
    calls = {
        "serve": lambda: path.serve(0),
        "admit": lambda: path.admit("127.0.0.1", 1, True),
        "kiss": lambda: path.kiss("127.0.0.1"),
        "table_stats": lambda: path.table_stats(),
        "recent": lambda: path.recent(5),
        "counters": lambda: path.counters(),
        "set_policy": lambda: path.set_policy(()),
    }
    for name, call in calls.items():
        try:
            call()
            print(name, "answered")
        except RuntimeError as exc:
            print(name, exc)
    """
)


@pytest.fixture
def sock() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as made:
        yield made


def test_every_method_of_an_uninitialised_fast_path_refuses() -> None:
    done = subprocess.run(
        [sys.executable, "-c", UNINITIALISED], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 7
    assert all(line.endswith("was not initialised: call FastPath(...)") for line in lines), lines


def test_a_second_init_is_refused_and_changes_nothing(sock: socket.socket) -> None:
    path = fast.open_fast_path(POLICY, [sock])
    assert path.admit("127.0.0.1", SECOND, True) and path.admit("127.0.0.2", SECOND, True)
    with pytest.raises(RuntimeError, match="already initialised"):
        path.__init__([sock.fileno()], 3, os.urandom(16))  # type: ignore[misc]
    assert path.admit("127.0.0.1", SECOND, True)
    assert not path.admit("127.0.0.1", SECOND, True), "the same bucket, found again"
    assert [(address, count) for address, count, _ in path.recent(5)] == [
        ("127.0.0.1", 3), ("127.0.0.2", 1),
    ]  # fmt: skip


def kept_by(call: Callable[[], object], message: str) -> int:
    """Bytes still allocated after 100 failed calls (after 3 to warm up)."""
    tracemalloc.start()
    try:
        for _ in range(3):
            with pytest.raises((ValueError, TypeError), match=message):
                call()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(100):
            with pytest.raises((ValueError, TypeError), match=message):
                call()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "fds, clients, message",
    [([-5], 3, "not a file descriptor: -5"), (["x"], 3, "integer"), (None, 0, "1 to")],
    ids=["fd", "type", "clients"],
)
def test_init_failing_leaks_nothing_and_can_be_retried(
    sock: socket.socket, fds: list[object] | None, clients: int, message: str
) -> None:
    path = fast.FastPath.__new__(fast.FastPath)
    arguments = (fds or [sock.fileno()], clients, bytes(16))
    grown = kept_by(lambda: path.__init__(*arguments), message)  # type: ignore[misc]
    assert grown < 100_000, f"{grown} bytes kept by 100 failed calls"
    with pytest.raises(RuntimeError, match="not initialised"):
        path.recent(1)
    path.__init__([sock.fileno()], 3, bytes(16))  # type: ignore[misc]
    path.set_policy(fast.native(POLICY))
    assert path.admit("127.0.0.1", SECOND, True) and path.recent(1)[0][:2] == ("127.0.0.1", 1)


@pytest.mark.parametrize(
    "rules, keys, message",
    [
        ([NETWORK, (b"short", 8, True, True, False, True, True)], (), "a network is 16"),
        ([NETWORK, "not a tuple"], (), "rule 1 must be tuple, not str"),
        ([NETWORK], ((1, "MD5", b"secret"), ["x"]), "key 1 must be tuple, not list"),
        ([NETWORK], ((1, "MD4", b"secret"),), "cannot use a MD4 key"),
    ],
    ids=["rule", "rule type", "key type", "key"],
)
def test_set_policy_failing_half_way_leaks_nothing_and_changes_nothing(
    sock: socket.socket, rules: list[object], keys: tuple[object, ...], message: str
) -> None:
    """A large allow-list is built before the rules and the keys: a policy that fails after
    it must free it, and leave the fast path with no policy, as it was."""
    path = fast.open_fast_path(POLICY, [sock])
    good = fast.native(POLICY)
    packed = ((tuple([NETWORK] * 500), tuple(rules), NETWORK), keys, *good[2:])
    grown = kept_by(lambda: path.set_policy(packed), message)
    assert grown < 100_000, f"{grown} bytes kept by 100 failed calls"
    assert path.admit("127.0.0.1", SECOND, True) and path.admit("127.0.0.1", SECOND, True)
    assert not path.admit("127.0.0.1", SECOND, True), "still the old policy: bursts of 2"
