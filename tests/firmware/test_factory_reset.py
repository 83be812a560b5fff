"""A factory reset erases config, accounts and keys, keeps everything else, and says so."""

import shutil
from pathlib import Path

import pytest

from firmware import factory_reset
from firmware.base.events import Event, EventBus
from firmware.factory_reset import MARKER, erase_for_reset, finish_reset
from hal.clock import HostClock
from tests.tools import Crash, crash_at


def test_reset_erases_what_makes_the_appliance_someones_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    """A pending commit confirmed goes too: its rollback would bring the old config back."""
    kept_and_erased = ("config.toml", "users.json", "ssh_host_ed25519_key", "ntp.keys",
                       "rollback.toml", "events.log")  # fmt: skip
    for name in kept_and_erased:
        (tmp_path / name).write_text("x")
    bus = EventBus(HostClock())
    seen: list[Event] = []
    bus.subscribe(seen.append)
    erase_for_reset(tmp_path, bus)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["events.log"]
    assert [(event.kind, event.security) for event in seen] == [("appliance.factory_reset", True)]


IDENTITY = ("config.toml", "users.json", "serial", "ntp.keys", "ssh_host_rsa_key", "tls.crt",
            "authorized_keys/admin")  # fmt: skip
KEPT = ("events.log", "audit.log", "firmware-keys/release.pub")


def populate(data_dir: Path) -> None:
    for name in IDENTITY + KEPT:
        (data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / name).write_text(name)


def state(data_dir: Path) -> list[str]:
    return sorted(str(path.relative_to(data_dir)) for path in data_dir.rglob("*") if path.is_file())


def crash_after(steps: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the `steps`+1-th change to the disk the moment the process is killed."""
    step = crash_at(steps)
    monkeypatch.setattr(factory_reset, "write_atomic", step(factory_reset.write_atomic))
    monkeypatch.setattr(Path, "unlink", step(Path.unlink))
    monkeypatch.setattr(factory_reset.shutil, "rmtree", step(shutil.rmtree))


@pytest.mark.parametrize("steps", range(18))  # 16 changes to the disk in all
def test_a_reset_killed_at_any_step_leaves_the_old_state_or_the_factory_state(
    tmp_path: Path, steps: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(tmp_path)
    before = state(tmp_path)
    with monkeypatch.context() as patched:
        crash_after(steps, patched)
        try:
            erase_for_reset(tmp_path, EventBus(HostClock()))
        except Crash:
            pass
    pending = (tmp_path / MARKER).exists()
    finished = finish_reset(tmp_path)  # what the next boot does first
    assert state(tmp_path) in (before, sorted(KEPT)), f"half-erased after {steps} steps"
    assert finished == pending
    assert not (tmp_path / MARKER).exists()
