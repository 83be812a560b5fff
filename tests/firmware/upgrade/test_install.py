"""Installing a bundle survives being killed at any step: the boot that follows always runs
a whole firmware (the old one or the new), never a slot cut short. And a bundle refused for
want of disk or of trusted keys changes nothing."""

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest

from firmware import __version__
from firmware.upgrade import install
from firmware.upgrade.bundle import BundleError
from firmware.upgrade.install import apply_install, check_install
from firmware.upgrade.slots import committed, complete_slots, decide, load_state, save_state
from tests.scenarios.appliance import Booted, timeserver
from tests.scenarios.firmware_bundles import release_key, trust
from tests.scenarios.test_firmware_slots import tree
from tests.tools import Crash, crash_at

NOW = datetime.datetime(2026, 11, 28, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A key and a bundle of this checkout, as `timeserver firmware build` makes them."""
    directory = tmp_path_factory.mktemp("signed")
    key, _ = release_key(directory)
    bundle = directory / "this.bundle"
    built = timeserver("firmware", "build", "--key", str(key), "--out", str(bundle))
    assert built.returncode == 0, built.stderr
    return key, bundle


def test_refused_for_want_of_disk_or_keys_with_nothing_changed(
    signed: tuple[Path, Path], tmp_path: Path
) -> None:
    key, bundle = signed
    with pytest.raises(BundleError, match=r"no trusted firmware keys in .*firmware-keys/"):
        check_install(tmp_path, bundle, __version__)
    trust(tmp_path, key)
    before = tree(tmp_path)
    with pytest.raises(BundleError, match=r"the disk has 10 MiB free; the install needs \d+"):
        check_install(tmp_path, bundle, __version__, free_bytes=lambda path: 10 << 20)
    assert tree(tmp_path) == before
    assert check_install(tmp_path, bundle, __version__).slot == "b"


def crash_after(steps: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kill the install the moment it would make its `steps`+1-th change to the disk."""
    step = crash_at(steps)
    for name in ("save_state", "write_atomic", "extract_wheels", "_run"):
        monkeypatch.setattr(install, name, step(getattr(install, name)))
    monkeypatch.setattr(install.shutil, "rmtree", step(shutil.rmtree))
    monkeypatch.setattr(Path, "mkdir", step(Path.mkdir))


def test_an_install_killed_at_any_step_boots_a_whole_firmware(
    signed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, bundle = signed
    data = tmp_path / "data"
    data.mkdir()
    trust(data, key)
    # A committed firmware in slot b: the installs below go into slot a, then into b.
    apply_install(data, check_install(data, bundle, __version__), 3, "", NOW)
    save_state(data, committed(load_state(data)))
    killed = 0
    while not attempt(data, bundle, killed, monkeypatch):  # a kill after each change in turn
        killed += 1
    assert killed >= 8 and load_state(data).active == "a"
    with pytest.raises(BundleError, match="firmware 0.* in slot a is on trial: commit it"):
        check_install(data, bundle, __version__)
    save_state(data, committed(load_state(data)))
    for steps in range(5):  # slot b stops being the way back before it is rewritten
        assert not attempt(data, bundle, steps, monkeypatch)
    assert load_state(data).previous == ""
    # Killed just before the new slot became active: the appliance boots the old one.
    assert not attempt(data, bundle, killed - 1, monkeypatch)
    box = Booted(data)
    box.wait_event("appliance.ready", seconds=60)
    assert "from slot a" in box.stdout()
    assert box.stop(seconds=10)[0] == 0


def attempt(data: Path, bundle: Path, steps: int, monkeypatch: pytest.MonkeyPatch) -> bool:
    """An install killed after `steps` changes (True: it finished first), then what the boot
    loader would run: a whole firmware, the old one or the new."""
    finished = False
    with monkeypatch.context() as patched:
        crash_after(steps, patched)
        try:
            apply_install(data, check_install(data, bundle, __version__), 3, "", NOW)
            finished = True
        except Crash:
            pass
    state = load_state(data)
    decision = decide(state, complete_slots(data))
    assert decision.why == "", f"after {steps} steps: {decision.why}"
    assert decision.run == state.active and state.active in ("a", "b")
    if state.trial:  # a new install: the one it replaced is the way back, and whole
        assert state.previous in complete_slots(data) - {state.active}
    program = data / "slots" / decision.run / "bin" / "timeserver"
    ran = subprocess.run([str(program), "--version"], capture_output=True, text=True)
    assert ran.stdout.strip() == f"timeserver {__version__}", (steps, ran.stderr)
    return finished
