"""Token buckets per client in a bounded table."""

import random

from firmware.base.ratelimit import SECOND, ClientTable


def test_burst_then_one_per_interval() -> None:
    table = ClientTable(2.0, 3, 0, 100, random.Random(1))
    now = 10 * SECOND
    assert [table.admit("a", now) for _ in range(5)] == [True, True, True, False, False]
    assert not table.admit("a", now + SECOND)
    assert table.admit("a", now + 2 * SECOND)


def test_table_is_bounded_least_recent_first() -> None:
    table = ClientTable(1.0, 1, 0, 3, random.Random(1))
    for client in "abc":
        table.admit(client, 0)
    table.admit("a", 1)
    table.admit("d", 2)
    assert list(table.table) == ["c", "a", "d"]
    assert table.admit("b", 3), "a forgotten client starts with a full bucket"


def test_exempt_clients_are_recorded_but_never_limited() -> None:
    table = ClientTable(1.0, 1, 0, 10, random.Random(1))
    assert all(table.admit("a", 0, limited=False) for _ in range(5))
    assert table.admit("b", 1)
    assert table.recent(5) == [("b", 1, 1), ("a", 5, 0)]
    assert table.recent(1) == [("b", 1, 1)]
