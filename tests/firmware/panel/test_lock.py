"""Five wrong PINs lock the keypad out for the configured time, across reboots."""

from pathlib import Path

import pytest

from firmware.base.config.audit import AuditLog
from firmware.base.events import Event, EventBus
from firmware.panel.lock import KeypadLock
from sim.clock import SteppedClock

NOW = 1_800_000_000 * 10**9


def make(tmp_path: Path, seen: list[Event]) -> KeypadLock:
    bus = EventBus(SteppedClock(NOW))
    bus.subscribe(seen.append)
    return KeypadLock(tmp_path / "keypad.json", bus, attempts=5, lockout_seconds=300)


def test_lockout_after_five_wrong_pins_survives_a_reboot(tmp_path: Path) -> None:
    seen: list[Event] = []
    lock = make(tmp_path, seen)
    lock.set_pin("2468", "admin")
    lock.lock("admin")
    for _ in range(5):
        assert not lock.try_pin("1111", NOW)
    assert lock.lockout_left_s(NOW + 10) == 300
    rebooted = make(tmp_path, seen)
    assert rebooted.locked
    assert not rebooted.try_pin("2468", NOW + 100 * 10**9), "right PIN refused while locked out"
    assert rebooted.lockout_left_s(NOW + 100 * 10**9) == 200
    assert rebooted.try_pin("2468", NOW + 301 * 10**9)
    assert not rebooted.locked
    kinds = [e.kind for e in seen]
    assert kinds.count("keypad.pin_failed") == 5
    assert kinds[-2:] == ["keypad.lockout", "keypad.unlocked"]
    assert "2468" not in " ".join(e.message + str(e.fields) for e in seen)


def test_pin_rules_and_locking_needs_a_pin(tmp_path: Path) -> None:
    lock = make(tmp_path, [])
    with pytest.raises(ValueError, match="set a keypad PIN"):
        lock.lock("admin")
    for bad in ("123", "123456789", "12a4"):
        with pytest.raises(ValueError, match="4 to 8 digits"):
            lock.set_pin(bad, "admin")
    lock.set_pin("24681357", "admin")
    assert "24681357" not in (tmp_path / "keypad.json").read_text()


def test_a_damaged_lock_file_keeps_the_keypad_locked(tmp_path: Path) -> None:
    (tmp_path / "keypad.json").write_text("{not json")
    assert make(tmp_path, []).locked


def test_changes_on_the_keypad_itself_are_audited_as_from_the_front_panel(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.log")
    lock = KeypadLock(tmp_path / "keypad.json", EventBus(SteppedClock(NOW)), audit=audit)
    lock.set_pin("2468", "admin", "192.0.2.9")
    lock.lock("the front panel's menu")
    assert lock.try_pin("2468", NOW)
    rows = [(e.who, e.source, e.key, e.new) for e in audit.entries()]
    assert rows == [
        ("admin", "192.0.2.9", "keypad.pin", "<redacted>"),
        ("the front panel's menu", "front panel", "keypad.locked", True),
        ("PIN on the keypad", "front panel", "keypad.locked", False),
    ]
    assert "2468" not in audit.path.read_text()
