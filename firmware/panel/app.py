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
SECOND = 1_000_000_000
LOCK_ITEM = "Lock keypad"


@dataclass
class PinEntry:
    digits: list[int] = field(default_factory=lambda: [0])
    cursor: int = 0
    typed: bool = False

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

    def type(self, digit: int) -> None:
        """A digit typed on a terminal: the first replaces the dialled 0, the rest append."""
        if not self.typed:
            self.digits, self.typed = [], True
        if len(self.digits) < MAX_PIN:
            self.digits.append(digit)
        self.cursor = len(self.digits) - 1

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
        relock_seconds: int = 0,
    ) -> None:
        self.lock = lock
        self.relock_ns = relock_seconds * SECOND
        """An unlocked keypad with a PIN locks itself after this long without a key; 0: never."""
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
            items = self._menu()
            if key in (Key.UP, Key.DOWN):
                self.menu = (self.menu + (1 if key is Key.DOWN else -1)) % len(items)
            elif key is Key.ENTER and items[self.menu % len(items)] == LOCK_ITEM:
                self.lock.lock("the front panel's menu")
                self.mode, self.message = "status", "Keypad locked"
            elif key is Key.ENTER:
                self.mode, self.scroll = "view", 0
            elif key is Key.BACK:
                self.mode = "status"
        elif self.mode == "view":
            if key in (Key.UP, Key.DOWN):
                self.scroll = max(0, self.scroll + (1 if key is Key.DOWN else -1))
            elif key is Key.BACK:
                self.mode = "menu"

    def type_digit(self, digit: int, now_ns: int) -> None:
        """A digit typed on a terminal (`timeserver panel`): it goes into the PIN, and on a
        locked keypad's status screen it starts one."""
        self.message = ""
        if self.mode == "status" and self.lock.locked:
            self.press(Key.ENTER, now_ns)
        if self.mode == "pin" and self.pin is not None:
            self.pin.type(digit)

    def relock(self, idle_ns: int) -> bool:
        """Locks an unlocked keypad that has a PIN once no key was pressed for `relock_ns`;
        True when it did. The caller measures idleness on a monotonic clock."""
        if not self.relock_ns or idle_ns < self.relock_ns:
            return False
        state = self.lock.state
        if state.locked or not state.pin_hash:
            return False
        self.lock.lock(f"the front panel after {self.relock_ns // SECOND} s without a key")
        self.mode, self.pin, self.message = "status", None, "Keypad locked"
        return True

    def _menu(self) -> list[str]:
        """The settings pages, and the lock once a PIN is set."""
        return list(self.settings()) + ([LOCK_ITEM] if self.lock.has_pin else [])

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
            items = self._menu()
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
