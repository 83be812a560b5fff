"""Line editing for byte-oriented consoles (serial, telnet): free of I/O, bytes in, bytes out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

BELL = b"\x07"
MAX_LINE = 512
HISTORY = 50
ESCAPES = {b"\x1b[A": "up", b"\x1b[B": "down", b"\x1b[C": "right", b"\x1b[D": "left"}
KEYS = {0x01: "home", 0x03: "cancel", 0x05: "end", 0x08: "erase", 0x7F: "erase", 0x09: "tab"}
KEYS |= {0x15: "kill"}

Completer = Callable[[str], list[str]]


@dataclass
class LineEditor:
    """Feed bytes; get back the bytes to echo and the lines completed.

    Keys: backspace, Ctrl-U (erase line), Ctrl-C (drop line), Ctrl-A/E and left/right arrows
    (move), up/down arrows (history), Tab (completion). With `secret`, nothing is echoed.
    """

    secret: bool = False
    completer: Completer | None = None
    line: str = ""
    cursor: int = 0
    history: list[str] = field(default_factory=list)
    _recall: int = 0
    _escape: bytes = b""
    _after_cr: bool = False

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
            else:
                echo += self._key(byte)
            self._after_cr = byte == 0x0D
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
            self.line, self.cursor = "", 0
            return b"^C\r\n"
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
            if not self._complete():
                return BELL
        return self._render(*before)

    def _recall_history(self, step: int) -> bool:
        target = self._recall + step
        if not 0 <= target <= len(self.history):
            return False
        self._recall = target
        self.line = self.history[target] if target < len(self.history) else ""
        self.cursor = len(self.line)
        return True

    def _complete(self) -> bool:
        if self.completer is None or self.secret:
            return False
        choices = self.completer(self.line[: self.cursor])
        if len(choices) != 1:
            return False
        self.line = choices[0] + self.line[self.cursor :]
        self.cursor = len(choices[0])
        return True

    def _render(self, old_line: str, old_cursor: int) -> bytes:
        """Redraw the line from its start: back to column 0, the text, blanks, back to cursor."""
        if self.secret:
            return b""
        blank = max(0, len(old_line) - len(self.line))
        out = b"\b" * old_cursor + self.line.encode() + b" " * blank
        return out + b"\b" * (len(self.line) + blank - self.cursor)
