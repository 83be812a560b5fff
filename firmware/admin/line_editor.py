"""Line editing for byte-oriented consoles (serial, telnet): free of I/O, bytes in, bytes out."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

BELL = b"\x07"
MAX_LINE = 512
HISTORY = 50
ESCAPES = {b"\x1b[A": "up", b"\x1b[B": "down", b"\x1b[C": "right", b"\x1b[D": "left"}
KEYS = {0x01: "home", 0x03: "cancel", 0x05: "end", 0x08: "erase", 0x7F: "erase", 0x09: "tab"}
KEYS |= {0x15: "kill"}

Completer = Callable[[str], list[str]]
"""The line up to the cursor -> each way it may be completed (whole lines)."""
Describer = Callable[[str], list[str]]
"""The line up to the cursor -> what `?` lists: what may come here, a line each."""


@dataclass
class LineEditor:
    """Feed bytes; get back the bytes to echo and the lines completed.

    Keys: backspace, Ctrl-U (erase line), Ctrl-C (drop line, fresh prompt), Ctrl-A/E and
    left/right arrows (move), up/down arrows (history), Tab (complete as far as the choices
    agree; a second Tab lists them), `?` (list what fits here, with notes, as in Junos; typed
    as itself inside quotes). With `secret`, nothing is echoed and nothing is completed.
    """

    secret: bool = False
    completer: Completer | None = None
    describer: Describer | None = None
    prompt: str = ""
    """Written again after Ctrl-C and after a listing."""
    line: str = ""
    cursor: int = 0
    history: list[str] = field(default_factory=list)
    _recall: int = 0
    _escape: bytes = b""
    _after_cr: bool = False
    _tabbed: bool = False
    """The key before was a Tab that could not complete: another one lists the choices."""

    def feed(self, data: bytes) -> tuple[bytes, list[str]]:
        echo = bytearray()
        lines: list[str] = []
        for byte in data:
            if self._escape:
                echo += self._escape_byte(byte)
            elif byte == 0x0A and self._after_cr:
                pass
            elif byte in (0x0D, 0x0A):
                lines.append(self._finish())
                echo += b"\r\n"
            elif byte == 0x1B:
                self._escape = b"\x1b"
            elif byte == ord("?") and self._describing():
                echo += self._describe()
            else:
                echo += self._key(byte)
            self._after_cr = byte == 0x0D
            self._tabbed = byte == 0x09 and self._tabbed
        return bytes(echo), lines

    def _finish(self) -> str:
        line = self.line
        if line.strip() and not self.secret and (not self.history or self.history[-1] != line):
            self.history = (self.history + [line])[-HISTORY:]
        self.line, self.cursor, self._recall = "", 0, len(self.history)
        return line

    def _key(self, byte: int) -> bytes:
        action = KEYS.get(byte)
        if action is not None:
            return self._act(action)
        if byte < 0x20 or byte > 0x7E or len(self.line) >= MAX_LINE:
            return BELL
        before = (self.line, self.cursor)
        self.line = self.line[: self.cursor] + chr(byte) + self.line[self.cursor :]
        self.cursor += 1
        if self.cursor == len(self.line):
            return b"" if self.secret else chr(byte).encode()
        return self._render(*before)

    def _escape_byte(self, byte: int) -> bytes:
        self._escape += bytes([byte])
        if len(self._escape) == 2 and byte == ord("["):
            return b""
        if len(self._escape) < 8 and not (0x40 <= byte <= 0x7E):
            return b""
        sequence, self._escape = self._escape, b""
        action = ESCAPES.get(sequence)
        return self._act(action) if action else b""

    def _act(self, action: str) -> bytes:
        before = (self.line, self.cursor)
        if action == "cancel":
            self.line, self.cursor, self._recall = "", 0, len(self.history)
            return b"^C\r\n" + self.prompt.encode()
        if action == "erase":
            if self.cursor == 0:
                return BELL
            self.line = self.line[: self.cursor - 1] + self.line[self.cursor :]
            self.cursor -= 1
        elif action == "kill":
            self.line, self.cursor = "", 0
        elif action in ("home", "end", "left", "right"):
            moves = {"home": 0, "end": len(self.line)}
            moves |= {
                "left": max(0, self.cursor - 1),
                "right": min(len(self.line), self.cursor + 1),
            }
            self.cursor = moves[action]
        elif action in ("up", "down") and not self.secret:
            if not self._recall_history(-1 if action == "up" else 1):
                return BELL
        elif action == "tab":
            return self._tab()
        return self._render(*before)

    def _recall_history(self, step: int) -> bool:
        target = self._recall + step
        if not 0 <= target <= len(self.history):
            return False
        self._recall = target
        self.line = self.history[target] if target < len(self.history) else ""
        self.cursor = len(self.line)
        return True

    def _tab(self) -> bytes:
        if self.completer is None or self.secret:
            return BELL
        before = (self.line, self.cursor)
        head, tail = self.line[: self.cursor], self.line[self.cursor :]
        choices = self.completer(head)
        agreed = os.path.commonprefix(choices) if choices else head
        if len(choices) == 1 or len(agreed) > len(head):
            self.line, self.cursor = agreed + tail, len(agreed)
            self._tabbed = len(choices) > 1  # the next Tab lists what is left
            return self._render(*before)
        if not choices or not self._tabbed:
            self._tabbed = bool(choices)
            return BELL
        words = [choice[len(head) - len(head.split(" ")[-1]) :].strip() for choice in choices]
        return self._listing(_columns(words))

    def _describing(self) -> bool:
        quotes = self.line[: self.cursor].count('"') + self.line[: self.cursor].count("'")
        return self.describer is not None and not self.secret and quotes % 2 == 0

    def _describe(self) -> bytes:
        assert self.describer is not None
        return self._listing(["possible completions:", *self.describer(self.line[: self.cursor])])

    def _listing(self, lines: list[str]) -> bytes:
        """The list below the line, then the prompt and the line again, the cursor in place."""
        text = "\r\n".join(lines)
        back = b"\b" * (len(self.line) - self.cursor)
        return f"\r\n{text}\r\n{self.prompt}{self.line}".encode() + back

    def _render(self, old_line: str, old_cursor: int) -> bytes:
        """Redraw the line from its start: back to column 0, the text, blanks, back to cursor."""
        if self.secret:
            return b""
        blank = max(0, len(old_line) - len(self.line))
        out = b"\b" * old_cursor + self.line.encode() + b" " * blank
        return out + b"\b" * (len(self.line) + blank - self.cursor)


def _columns(words: list[str], width: int = 78) -> list[str]:
    """Words in columns across a terminal's width, as shells list completions."""
    cell = max(len(word) for word in words) + 2
    across = max(1, width // cell)
    return [
        "".join(word.ljust(cell) for word in words[n : n + across]).rstrip()
        for n in range(0, len(words), across)
    ]
