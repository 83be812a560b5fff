"""`firmware status|commit|rollback|install` on the command line: what runs and what the
slots hold, keeping a firmware on trial, going back (audited, then a restart through the
boot loader), and an install refused before anything is touched."""

from collections.abc import Callable
from pathlib import Path

from firmware.upgrade.slots import SlotInfo, SlotState, load_state, save_state, slot_path
from tests.firmware.admin.conftest import Bench


def fill_slot(data_dir: Path, name: str, version: str) -> None:
    """A slot as an install leaves it, as far as the command line looks: the program and
    the slot's record, written last."""
    slot = slot_path(data_dir, name)
    (slot / "bin").mkdir(parents=True)
    (slot / "bin" / "timeserver").write_text("#!/bin/sh\n")
    (slot / "slot.json").write_bytes(
        SlotInfo(version, "0123456789abcdef", "2026-11-28T08:00:00Z").encode()
    )


def on_trial(bench: Bench) -> list[Callable[[], None] | None]:
    data_dir = bench.controls.data_dir
    fill_slot(data_dir, "a", "0.1.0")
    fill_slot(data_dir, "b", "0.2.0")
    save_state(data_dir, SlotState("b", True, 2, "a", "0.2.0", "0123456789abcdef", "LOCKED"))
    restarts: list[Callable[[], None] | None] = []
    bench.controls.firmware_restart = restarts.append
    return restarts


def test_status_names_the_slots_and_the_trial(bench: Bench) -> None:
    assert "active: the base install (no signed firmware installed)" in bench.run("firmware")
    on_trial(bench)
    shown = bench.run("firmware status").splitlines()
    assert "active: slot b (on trial, 2 boots left); rollback goes to slot a" in shown
    assert "slot a: firmware 0.1.0, signed by key 0123456789abcdef, installed " \
        "2026-11-28T08:00:00Z" in shown  # fmt: skip


def test_commit_keeps_the_firmware_on_trial(bench: Bench) -> None:
    on_trial(bench)
    assert bench.run("firmware commit") == "firmware 0.2.0 in slot b is kept"
    state = load_state(bench.controls.data_dir)
    assert (state.active, state.trial, state.previous) == ("b", False, "a")
    assert "no firmware is on trial" in bench.run("firmware commit")
    assert [e.kind for e in bench.seen] == ["firmware.committed"]


def test_rollback_goes_back_audited_and_restarts(bench: Bench) -> None:
    restarts = on_trial(bench)
    assert "permission denied" in bench.run("firmware rollback", "watcher", "monitor")
    assert bench.run("firmware rollback") == "going back to slot a; the appliance restarts now"
    assert restarts == [None]
    state = load_state(bench.controls.data_dir)
    assert (state.active, state.trial) == ("a", False)
    assert "rolled back from firmware 0.2.0 in slot b: by admin" in state.rolled_back
    (entry,) = bench.store.audit.entries()
    assert (entry.who, entry.key, entry.old, entry.new) == (
        "admin", "firmware.active", "slot b", "slot a")  # fmt: skip


def test_install_is_refused_before_anything_is_touched(bench: Bench, tmp_path: Path) -> None:
    restarts = on_trial(bench)
    bogus = tmp_path / "bogus.bundle"
    bogus.write_bytes(b"not a tar file" * 100)
    (tmp_path / "firmware-keys").mkdir()
    reply = bench.run(f"firmware install {bogus}")
    assert reply == "firmware install refused: no trusted firmware keys in " \
        f"{tmp_path / 'firmware-keys'}/"  # fmt: skip
    assert restarts == [] and list(bench.store.audit.entries()) == []
