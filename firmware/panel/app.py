"""The front-panel application: free of I/O; keys in, screen lines out, `now` passed in."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from firmware.panel.lock import KeypadLock
from firmware.timing.sync_state import error_text
from hal.panel import Key

StatusSource = Callable[[], dict[str, dict[str, object]]]
MAX_PIN = 8


@dataclass
class PinEntry:
    digits: list[int] = field(default_factory=lambda: [0])
    cursor: int = 0

    def press(self, key: Key) -> str | None:
        """A finished PIN on ENTER, "" when cancelled, else None."""
        if key in (Key.UP, Key.DOWN):
            step = 1 if key is Key.UP else -1
            self.digits[self.cursor] = (self.digits[self.cursor] + step) % 10
        elif key is Key.RIGHT and self.cursor < MAX_PIN - 1:
            self.cursor += 1
            if self.cursor == len(self.digits):
                self.digits.append(0)
        elif key is Key.LEFT and self.cursor > 0:
            self.cursor -= 1
        elif key is Key.BACK:
            if len(self.digits) == 1:
                return ""
            self.digits.pop()
            self.cursor = min(self.cursor, len(self.digits) - 1)
        elif key is Key.ENTER:
            return "".join(str(d) for d in self.digits)
        return None

    def shown(self) -> str:
        return " ".join(f"[{d}]" if n == self.cursor else "*" for n, d in enumerate(self.digits))


class PanelApp:
    def __init__(
        self,
        lock: KeypadLock,
        status: StatusSource,
        settings: Callable[[], dict[str, list[str]]],
        addresses: Callable[[], list[str]],
        rows: int,
    ) -> None:
        self.lock = lock
        self.status = status
        self.settings = settings
        self.addresses = addresses
        self.rows = rows
        self.mode = "status"
        self.screen = 0
        self.menu = 0
        self.scroll = 0
        self.pin: PinEntry | None = None
        self.message = ""

    def press(self, key: Key, now_ns: int) -> None:
        self.message = ""
        if self.mode == "pin":
            self._pin_key(key, now_ns)
        elif self.mode == "status":
            if key in (Key.UP, Key.DOWN):
                self.screen = (self.screen + (1 if key is Key.DOWN else -1)) % len(self._screens())
            elif key is Key.ENTER and self.lock.locked:
                if self.lock.lockout_left_s(now_ns):
                    self.message = f"Locked out {self.lock.lockout_left_s(now_ns)} s"
                else:
                    self.mode, self.pin = "pin", PinEntry()
            elif key is Key.ENTER:
                self.mode, self.menu = "menu", 0
        elif self.mode == "menu":
            items = list(self.settings())
            if key in (Key.UP, Key.DOWN):
                self.menu = (self.menu + (1 if key is Key.DOWN else -1)) % len(items)
            elif key is Key.ENTER:
                self.mode, self.scroll = "view", 0
            elif key is Key.BACK:
                self.mode = "status"
        elif self.mode == "view":
            if key in (Key.UP, Key.DOWN):
                self.scroll = max(0, self.scroll + (1 if key is Key.DOWN else -1))
            elif key is Key.BACK:
                self.mode = "menu"

    def _pin_key(self, key: Key, now_ns: int) -> None:
        assert self.pin is not None
        entered = self.pin.press(key)
        if entered is None:
            return
        self.mode, self.pin = "status", None
        if entered and self.lock.try_pin(entered, now_ns):
            self.message = "Keypad unlocked"
        elif entered:
            left = self.lock.lockout_left_s(now_ns)
            self.message = f"Locked out {left} s" if left else "Wrong PIN"

    def render(self, now_ns: int) -> list[str]:
        if self.mode == "pin":
            assert self.pin is not None
            lines = ["Enter keypad PIN:", self.pin.shown()]
        elif self.mode == "menu":
            items = list(self.settings())
            lines = [("> " if n == self.menu else "  ") + item for n, item in enumerate(items)]
            top = max(0, self.menu - self.rows + 1)
            lines = lines[top : top + self.rows]
        elif self.mode == "view":
            item = list(self.settings())[self.menu]
            body = self.settings()[item] or ["(nothing)"]
            self.scroll = min(self.scroll, max(0, len(body) - self.rows))
            lines = body[self.scroll : self.scroll + self.rows]
        else:
            lines = self._screens(now_ns)[self.screen % len(self._screens())]
        if self.message:
            lines = lines[: self.rows - 1] + [self.message]
        return lines[: self.rows]

    def _screens(self, now_ns: int = 0) -> list[list[str]]:
        """Status pages; each screen is cut into pages of the display's height."""
        now = datetime.datetime.fromtimestamp(now_ns / 1e9, datetime.UTC)
        status = self.status()
        gps, timing = status.get("gps", {}), status.get("timing", {})
        fix = "no fix" if not gps.get("valid") else f"{gps.get('fix', '?')} fix"
        lock = "LOCKED" if self.lock.locked else "open"
        sync = str(timing.get("sync_state", "FREERUN"))
        screens = [
            [f"UTC {now:%Y-%m-%d}", f"    {now:%H:%M:%S}",
             f"{sync} stratum {timing.get('stratum', 16)}",
             f"LI {timing.get('leap_indicator', 3)} keypad {lock}"],
            [f"GPS {fix}", f"Sats {gps.get('satellites_used', 0)} used"
             f" {gps.get('satellites_in_view', 0)} seen", f"Antenna {gps.get('antenna', '?')}",
             f"Error {error_text(timing.get('est_error_ns'))}"],
            ["IP address", *(self.addresses() or ["no address"])],
        ]  # fmt: skip
        return [
            screen[n : n + self.rows]
            for screen in screens
            for n in range(0, len(screen), self.rows)
        ]
