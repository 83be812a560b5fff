"""`timeserver panel`: show and drive a running appliance's front panel from a terminal."""

from __future__ import annotations

import json
import os
import select
import socket
import sys
import termios
import tty
from pathlib import Path

TERMINAL_KEYS = {
    b"\x1b[A": "up", b"\x1b[B": "down", b"\x1b[C": "right", b"\x1b[D": "left",
    b"\x1bOA": "up", b"\x1bOB": "down", b"\x1bOC": "right", b"\x1bOD": "left",
    b"\r": "enter", b"\n": "enter", b"\x7f": "back", b"\x08": "back", b"\x1b": "back",
    b"q": "quit", b"Q": "quit",
}  # fmt: skip
"""Arrow keys in both cursor modes; a lone Esc goes back like Backspace."""


def terminal_keys(typed: bytes) -> list[str]:
    """Every key in one read from the terminal, in order: panel key names, "quit", or a
    digit "0".."9"; anything else (letters, function keys) is skipped whole."""
    keys: list[str] = []
    position = 0
    while position < len(typed):
        length = 1
        if typed[position : position + 1] == b"\x1b" and typed[position + 1 : position + 2] in (
            b"[", b"O",
        ):  # fmt: skip
            length = _escape_length(typed, position)
        chunk = typed[position : position + length]
        name = TERMINAL_KEYS.get(chunk) or (chunk.decode() if chunk.isdigit() else None)
        if name is not None:
            keys.append(name)
        position += length
    return keys


def _escape_length(typed: bytes, start: int) -> int:
    """The length of the escape sequence at `start`: ESC, [ or O, parameters, a final byte."""
    end = start + 2
    while end < len(typed) and not 0x40 <= typed[end] <= 0x7E:
        end += 1
    return min(end + 1, len(typed)) - start


class PanelClient:
    def __init__(self, socket_path: Path) -> None:
        self.connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.connection.connect(str(socket_path))
        self.replies = self.connection.makefile("rb")

    def request(self, message: dict[str, object]) -> dict[str, object]:
        self.connection.sendall(json.dumps(message).encode() + b"\n")
        reply: dict[str, object] = json.loads(self.replies.readline())
        return reply

    def close(self) -> None:
        self.replies.close()
        self.connection.close()


def boxed(lines: list[str]) -> str:
    width = max((len(line) for line in lines), default=20)
    rows = [f"| {line.ljust(width)} |" for line in lines]
    edge = "+" + "-" * (width + 2) + "+"
    return "\n".join([edge, *rows, edge])


def run_panel(socket_path: Path, presses: list[str], once: bool) -> int:
    try:
        client = PanelClient(socket_path)
    except OSError as exc:
        print(f"timeserver panel: no running appliance at {socket_path}: {exc}", file=sys.stderr)
        return 2
    try:
        reply: dict[str, object] = client.request({"show": True})
        for key in presses:
            reply = client.request({"press": key})
            if "error" in reply:
                print(f"timeserver panel: {reply['error']}", file=sys.stderr)
                return 2
        if once or presses or not sys.stdin.isatty():
            print(boxed(list(reply["lines"])))  # type: ignore[call-overload]
            return 0
        return _interactive(client)
    finally:
        client.close()


def _interactive(client: PanelClient) -> int:
    """Arrow keys, Enter, Backspace or Esc (back), digits into a PIN; q quits. The screen
    refreshes twice a second, and after every key."""
    saved = termios.tcgetattr(sys.stdin)
    tty.setcbreak(sys.stdin)
    try:
        while True:
            reply = client.request({"show": True})
            sys.stdout.write("\x1b[H\x1b[2J" + boxed(list(reply["lines"])))  # type: ignore[call-overload]
            sys.stdout.write("\n\narrows move, Enter selects, Backspace goes back, q quits\n")
            sys.stdout.flush()
            ready, _, _ = select.select([sys.stdin], [], [], 0.5)
            if not ready:
                continue
            for key in terminal_keys(os.read(sys.stdin.fileno(), 64)):
                if key == "quit":
                    return 0
                client.request({"digit": int(key)} if key.isdigit() else {"press": key})
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)
