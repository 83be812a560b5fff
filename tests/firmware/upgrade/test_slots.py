"""The boot loader's decision, from a table: which firmware runs, the boot counted while on
trial, and the rollback (with its reason) when the trial boots are used up or the slot is
not whole."""

import sys
from pathlib import Path

import pytest

from firmware import __version__
from firmware.admin.hardening import firmware_signed
from firmware.upgrade.bundle import BundleError
from firmware.upgrade.slots import (
    BASE,
    SLOT_FILE,
    SlotState,
    base_info,
    committed,
    decide,
    inactive_slot,
    record_base,
    remember_base,
    seen_base,
    slots_dir,
)

ON_TRIAL = SlotState(active="b", trial=True, boots_left=2, previous="a", version="0.2.0")

ROWS = [
    # state, complete slots, runs, state after (active, trial, boots left, previous), why
    (SlotState(), set(), BASE, ("", False, 0, ""), ""),
    (SlotState(active="a"), {"a"}, "a", ("a", False, 0, ""), ""),
    (ON_TRIAL, {"a", "b"}, "b", ("b", True, 1, "a"), ""),
    (SlotState(active="b", trial=True, boots_left=0, previous="a", version="0.2.0"), {"a", "b"},
     "a", ("a", False, 0, ""), "booted without committing itself"),
    (SlotState(active="b", trial=True, boots_left=0, previous="a"), {"b"},
     BASE, ("", False, 0, ""), "booted without committing itself"),
    (ON_TRIAL, {"a"}, "a", ("a", False, 0, ""), "slot b does not hold a complete firmware"),
    (SlotState(active="a", previous="b"), set(), BASE, ("", False, 0, ""),
     "slot a does not hold a complete firmware"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "complete", "runs", "after", "why"), ROWS)
def test_the_loader_runs_the_active_slot_or_goes_back(
    state: SlotState, complete: set[str], runs: str, after: tuple[object, ...], why: str
) -> None:
    decision = decide(state, complete)
    assert decision.run == runs
    new = decision.state
    assert (new.active, new.trial, new.boots_left, new.previous) == after
    assert why in decision.why and bool(why) == bool(decision.why)
    if why:  # the firmware that runs next says so
        assert new.rolled_back.startswith(f"rolled back from firmware {state.version or '('}")


def test_trial_boots_run_out_then_the_previous_slot_runs() -> None:
    state, runs = ON_TRIAL, []
    for _ in range(4):
        decision = decide(state, {"a", "b"})
        runs.append(decision.run)
        state = decision.state
    assert runs == ["b", "b", "a", "a"]


def test_a_committed_slot_is_no_longer_counted_and_installs_go_to_the_other() -> None:
    kept = committed(ON_TRIAL)
    assert decide(kept, {"a", "b"}).state == kept
    assert [inactive_slot(s) for s in (SlotState(), kept, SlotState(active="a"))] == ["b", "a", "b"]


def test_the_base_install_s_record_counts_only_for_the_version_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert base_info(tmp_path) is None
    record_base(__version__, "0123456789abcdef", tmp_path)
    info = base_info(tmp_path)
    assert info is not None and (info.version, info.key_id) == (__version__, "0123456789abcdef")
    with pytest.raises(BundleError, match=f"this install runs firmware {__version__}"):
        record_base("99.0", "0123456789abcdef", tmp_path)
    (tmp_path / SLOT_FILE).write_text('{"version": "0.0.1", "key_id": "k", "installed_at": ""}')
    assert base_info(tmp_path) is None  # a record of another version names nothing
    (tmp_path / SLOT_FILE).write_text("{not json")
    assert base_info(tmp_path) is None
    # `audit` names the key while the base install runs and its record is there.
    record_base(__version__, "0123456789abcdef", tmp_path)
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    check = firmware_signed(tmp_path / "data")
    assert check.passed and check.name.endswith("in the base install (verified when it was "
                                                "installed) by key 0123456789abcdef")  # fmt: skip
    (tmp_path / SLOT_FILE).unlink()
    assert not firmware_signed(tmp_path / "data").passed


@pytest.mark.parametrize(
    ("base", "slot", "runs"),
    [("0.3.0", "0.2.0", BASE), ("0.2.0", "0.2.0", "b"), ("0.1.0", "0.2.0", "b"),
     ("0+unknown", "0.2.0", "b"), ("", "0.2.0", "b"), ("1.0", "0.9.9", BASE)],
)  # fmt: skip
def test_a_newer_base_install_runs_instead_of_an_older_slot(
    base: str, slot: str, runs: str
) -> None:
    """A new container image on an old data directory: its base install is newer than the
    slot a bundle once filled, and runs; the slots stay for a later install."""
    state = SlotState(active="b", previous="a", version=slot, key_id="k")
    decision = decide(state, {"a", "b"}, base, "0.0.1")  # the image before
    assert decision.run == runs
    if runs == BASE:
        assert decision.state.active == BASE and decision.state.previous == BASE
        assert f"firmware {base} is newer than {slot} in slot b" in decision.why
        assert decision.state.rolled_back.startswith("moved on from slot b: ")
    else:
        assert decision.state == state and decision.why == ""


def test_a_downgrade_chosen_on_this_base_install_runs() -> None:
    """`firmware install --allow-downgrade` of a bundle older than the base install: the base
    the loader saw at the last boot is the one running, so no new image came, and the slot
    the admin chose runs."""
    state = SlotState(active="b", previous="a", version="0.2.0", key_id="k")
    assert decide(state, {"a", "b"}, "0.3.0", "0.3.0").run == "b"
    assert decide(state, {"a", "b"}, "0.4.0", "0.3.0").run == BASE, "a newer image came"
    # The first restart after the first install: no boot remembered, the new slot runs.
    assert decide(state, {"a", "b"}, "0.3.0", "").run == "b"


def test_the_loader_remembers_the_base_install_it_saw(tmp_path: Path) -> None:
    assert seen_base(tmp_path) == ""
    remember_base(tmp_path, "0.3.0")
    assert not slots_dir(tmp_path).exists(), "nothing written before a slot was ever installed"
    slots_dir(tmp_path).mkdir()
    remember_base(tmp_path, "0.3.0")
    assert seen_base(tmp_path) == "0.3.0"
