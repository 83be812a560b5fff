"""The front panel: a character display and a six-key keypad."""

from __future__ import annotations

from enum import Enum
from typing import Protocol


class Key(Enum):
    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    ENTER = "enter"
    BACK = "back"


class Display(Protocol):
    rows: int
    columns: int

    def show(self, lines: list[str]) -> None:
        """Replace the whole screen; lines are cut or padded to the display's size."""
        ...


class Keypad(Protocol):
    async def key(self) -> Key:
        """The next key pressed."""
        ...
