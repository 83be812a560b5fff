"""The panel application: status screens, the settings menu and PIN entry, keys in and
screen lines out, on a stepped clock."""

from pathlib import Path

from firmware.base.config import SERVICE_NAMES, parse_config
from firmware.base.events import EventBus
from firmware.panel.app import PanelApp
from firmware.panel.lock import KeypadLock
from firmware.panel.settings import panel_settings
from hal.panel import Key
from sim.clock import SteppedClock
from tests.firmware.panel.keys import pin_keys

NOW = 1_800_000_000 * 10**9  # 2027-01-15 08:00:00 UTC
GPS = {"gps": {"valid": True, "fix": "THREE_D", "satellites_used": 9, "satellites_in_view": 12,
               "antenna": "ok", "leap_warning": "none"},
       "timing": {"sync_state": "LOCKED", "stratum": 1, "leap_indicator": 0,
                  "est_error_ns": 120}}  # fmt: skip


def make(tmp_path: Path) -> PanelApp:
    config = parse_config({"services": {"daytime": {"enabled": True}}}, "t", SERVICE_NAMES)
    lock = KeypadLock(tmp_path / "keypad.json", EventBus(SteppedClock(NOW)))
    return PanelApp(
        lock, lambda: GPS, lambda: panel_settings(config, ["192.0.2.5"]), lambda: ["192.0.2.5"], 4
    )


def press(app: PanelApp, *keys: str) -> list[str]:
    for key in keys:
        app.press(Key(key), NOW)
    return app.render(NOW)


def test_status_screens_cycle(tmp_path: Path) -> None:
    app = make(tmp_path)
    assert app.render(NOW) == [
        "UTC 2027-01-15", "    08:00:00", "LOCKED stratum 1", "LI 0 keypad open",
    ]  # fmt: skip
    assert press(app, "down")[1:] == ["Sats 9 used 12 seen", "Antenna ok", "Error 120 ns"]
    assert press(app, "down") == ["IP address", "192.0.2.5"]
    assert press(app, "down")[0] == "UTC 2027-01-15"
    assert press(app, "up")[0] == "IP address"


def test_settings_menu_shows_services(tmp_path: Path) -> None:
    app = make(tmp_path)
    assert press(app, "enter")[0] == "> Network"
    screen = press(app, "down", "enter")
    assert screen == ["ntp     port 123", "daytime port 13", "time    off", "ssh     port 22"]
    assert press(app, "down", "down", "down", "down", "down")[-1] == "console on"
    assert press(app, "back")[1] == "> Services"
    assert press(app, "back")[0] == "UTC 2027-01-15"


def test_locked_keypad_has_no_menu_and_unlocks_with_the_pin(tmp_path: Path) -> None:
    app = make(tmp_path)
    app.lock.set_pin("2705", "admin")
    app.lock.lock("admin")
    screen = press(app, "enter")
    assert screen[:2] == ["Enter keypad PIN:", "[0]"]
    assert press(app, "up", "up", "right", "up")[1] == "* [1]"
    assert press(app, "back", "back")[0] == "UTC 2027-01-15"  # cancelled
    press(app, "enter")
    assert press(app, *pin_keys("2704"))[-1] == "Wrong PIN"
    assert app.lock.locked
    press(app, "enter")
    assert press(app, *pin_keys("2705"))[-1] == "Keypad unlocked"
    assert press(app, "enter")[0] == "> Network"


def test_two_line_display_pages_each_screen(tmp_path: Path) -> None:
    app = make(tmp_path)
    app.rows = 2
    assert app.render(NOW) == ["UTC 2027-01-15", "    08:00:00"]
    assert press(app, "down") == ["LOCKED stratum 1", "LI 0 keypad open"]


def test_digits_typed_on_a_terminal_enter_the_pin(tmp_path: Path) -> None:
    app = make(tmp_path)
    app.lock.set_pin("2705", "admin")
    app.lock.lock("admin")
    for digit in (2, 7, 0, 4):  # a digit on the locked status screen starts the PIN
        app.type_digit(digit, NOW)
    assert app.render(NOW)[1] == "* * * [4]"
    assert press(app, "enter")[-1] == "Wrong PIN"
    for digit in (2, 7, 0, 6):
        app.type_digit(digit, NOW)
    assert press(app, "back", "up")[1] == "* * [1]"  # Backspace and arrows still edit
    assert press(app, "down")[1] == "* * [0]"
    app.type_digit(5, NOW)
    assert press(app, "enter")[-1] == "Keypad unlocked"
    app.type_digit(1, NOW)  # unlocked: nothing to type into
    assert app.mode == "status"


def test_menu_locks_the_keypad_once_a_pin_is_set(tmp_path: Path) -> None:
    app = make(tmp_path)
    assert "  Lock keypad" not in press(app, "enter", "up")  # no PIN: no lock item
    app.lock.set_pin("2705", "admin")
    assert press(app, "down")[-1] == "> Lock keypad"
    assert press(app, "enter")[-1] == "Keypad locked"
    assert app.lock.locked
    assert press(app, "enter")[0] == "Enter keypad PIN:"


def test_an_unlocked_keypad_locks_itself_after_the_idle_time(tmp_path: Path) -> None:
    app = make(tmp_path)
    app.relock_ns = 300 * 10**9
    assert not app.relock(10**13)  # no PIN: nothing to lock with
    app.lock.set_pin("2705", "admin")
    press(app, "enter")  # in the menu when the time runs out
    assert not app.relock(299 * 10**9)
    assert app.relock(300 * 10**9)
    assert app.lock.locked and app.render(NOW)[-1] == "Keypad locked"
    assert app.render(NOW)[0] == "UTC 2027-01-15"
    assert not app.relock(10**13)  # already locked
    app.relock_ns = 0
    app.lock.unlock("admin")
    assert not app.relock(10**13)  # 0: never
