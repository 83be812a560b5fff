"""The FastPath object itself (services/ntp/_fastpath.c): made without __init__, initialised
twice, or after an __init__ that failed half-way, it refuses clearly and leaks nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator

import pytest

from services.ntp import fast

SECOND = 1_000_000_000
NETWORK = (b"\0" * 10 + b"\xff\xff" + bytes([127, 0, 0, 0]), 104, True, True, False, True, True)

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
        "recent": lambda: path.recent(5),
        "counters": lambda: path.counters(),
        "set_clock": lambda: path.set_clock(0, 0, 0.0, True, True, 0, 1),
        "set_template": lambda: path.set_template(bytes(24), 0, bytes(24), 0),
        "set_keys": lambda: path.set_keys([(1, "MD5", b"secret")]),
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


def make(fd: int, seed: bytes = bytes(16), rules: list[object] | None = None) -> tuple[object, ...]:
    """FastPath's arguments: 2 requests of burst, 1 s apart, three clients kept."""
    return ([fd], [NETWORK], [NETWORK] if rules is None else rules, SECOND, 2, -1, 3, False, seed)


def test_every_method_of_an_uninitialised_fast_path_refuses() -> None:
    done = subprocess.run(
        [sys.executable, "-c", UNINITIALISED], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 7
    assert all(line.endswith("was not initialised: call FastPath(...)") for line in lines), lines


def test_a_second_init_is_refused_and_changes_nothing(sock: socket.socket) -> None:
    path = fast.FastPath(*make(sock.fileno()))  # type: ignore[arg-type]
    assert path.admit("127.0.0.1", SECOND, True) and path.admit("127.0.0.2", SECOND, True)
    with pytest.raises(RuntimeError, match="already initialised"):
        path.__init__(*make(sock.fileno(), seed=os.urandom(16)))  # type: ignore[misc]
    assert path.admit("127.0.0.1", SECOND, True)
    assert not path.admit("127.0.0.1", SECOND, True), "the same bucket, found again"
    assert [(address, count) for address, count, _ in path.recent(5)] == [
        ("127.0.0.1", 3), ("127.0.0.2", 1),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"fd": -5}, "not a file descriptor: -5"),
        ({"rules": [NETWORK, (b"short", 8, True, True, False, True, True)]}, "a network is 16"),
        ({"rules": [NETWORK, "not a tuple"]}, "must be tuple"),
    ],
    ids=["fd", "rule", "type"],
)
def test_init_failing_half_way_leaks_nothing_and_can_be_retried(
    sock: socket.socket, bad: dict[str, object], message: str
) -> None:
    """The allow-list is parsed before the rules: a failed __init__ must free it, even when
    __init__ is called again on the same object, as a retry would."""
    fd = bad.get("fd", sock.fileno())
    rules = bad.get("rules")
    arguments = list(make(fd, rules=rules))  # type: ignore[arg-type]
    arguments[1] = [NETWORK] * 500  # a large allow-list: 18 kB a copy
    path = fast.FastPath.__new__(fast.FastPath)
    tracemalloc.start()
    try:
        for _ in range(3):
            with pytest.raises((ValueError, TypeError), match=message):
                path.__init__(*arguments)  # type: ignore[misc]
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(100):
            with pytest.raises((ValueError, TypeError), match=message):
                path.__init__(*arguments)  # type: ignore[misc]
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 100_000, f"{grown} bytes kept by 100 failed calls"
    with pytest.raises(RuntimeError, match="not initialised"):
        path.recent(1)
    path.__init__(*make(sock.fileno()))  # type: ignore[misc]
    assert path.admit("127.0.0.1", SECOND, True) and path.recent(1)[0][:2] == ("127.0.0.1", 1)
