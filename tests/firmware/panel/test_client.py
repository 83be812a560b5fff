"""`timeserver panel`'s terminal input: every key of a read, in order."""

import pytest

from firmware.panel.client import terminal_keys


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        (b"\x1b[B\x1b[B", ["down", "down"]),  # two keys in one read (a paste, a fast typist)
        (b"\x1bOA\x1b[C\r", ["up", "right", "enter"]),  # application cursor mode too
        (b"2705\r", ["2", "7", "0", "5", "enter"]),
        (b"\x1b", ["back"]),
        (b"\x7f\x08", ["back", "back"]),
        (b"\x1b[15~1", ["1"]),  # F5 is skipped whole, not read as Esc and digits
        (b"x\x1b[Aq", ["up", "quit"]),
        (b"\x1b[", []),
        (b"", []),
    ],
)
def test_terminal_keys(typed: bytes, keys: list[str]) -> None:
    assert terminal_keys(typed) == keys
