"""Signed A/B firmware as a user meets it: `timeserver firmware install` puts a newer
bundle into slot b, the appliance (the real `timeserver boot`, one process throughout)
restarts into it on trial and commits it; a firmware that fails its health check is rolled
back by itself, with the reason in the event log and the banner; a bundle that may not be
installed is refused in one line with nothing on disk changed."""

import hashlib
import json
import os
from pathlib import Path

import pytest

from firmware import __version__
from firmware.upgrade.bundle import Manifest, sign
from firmware.upgrade.keys import load_private
from tests.scenarios.appliance import Booted, timeserver, write_config
from tests.scenarios.firmware_bundles import BROKEN_NTP, build, bumped, release_key, trust

NEWER = bumped(__version__)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("bundles")
    key, _ = release_key(directory)
    return {
        "key": key,
        "newer": build(key, directory / "newer.bundle", NEWER),
        "broken": build(key, directory / "broken.bundle", NEWER, BROKEN_NTP),
    }


def appliance_data(tmp_path: Path, key: Path, trial_seconds: int) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    trust(data, key)
    config = write_config(
        tmp_path / "config.toml", f"[firmware]\ntrial_seconds = {trial_seconds}\n"
    )
    return data, config


def install(bundle: Path, data: Path, config: Path, *more: str) -> str:
    done = timeserver("firmware", "install", str(bundle), "--data-dir", str(data),
                      "--config", str(config), *more)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def state(data: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((data / "slots" / "state.json").read_text())
    return loaded


def test_install_restart_into_slot_b_and_commit(bundles: dict[str, Path], tmp_path: Path) -> None:
    data, config = appliance_data(tmp_path, bundles["key"], trial_seconds=3)
    box = Booted(data, config)
    box.wait_event("appliance.ready")
    assert f"firmware {__version__} from the base install" in box.stdout()
    said = install(bundles["newer"], data, config)
    assert f"firmware {NEWER} signed by key " in said and "installed in slot b, on trial" in said
    assert "the appliance restarts into it now" in said
    box.wait_event("appliance.ready", count=2, seconds=60)
    # One process throughout: the loader replaced itself with slot b's firmware.
    command_line = Path(f"/proc/{box.process.pid}/cmdline").read_bytes().split(b"\0")
    slot_b = data / "slots" / "b" / "bin"
    assert command_line[:2] == [
        str(slot_b / "python").encode(),
        str(slot_b / "timeserver").encode(),
    ]
    assert f"firmware {NEWER} from slot b, signed by key" in box.stdout()
    assert "(on trial" in box.stdout()
    committed = box.wait_event("firmware.committed", seconds=60)
    assert f"firmware {NEWER} in slot b passed its trial" in str(committed["message"])
    kept = state(data)
    assert (kept["active"], kept["trial"], kept["previous"]) == ("b", False, "")
    shown = timeserver("status", "--data-dir", str(data)).stdout
    assert f"firmware    {NEWER} from slot b, signed by key {kept['key_id']}\n" in shown
    audit = timeserver("audit", "--data-dir", str(data), "--config", str(config))
    key_id = kept["key_id"]
    assert f"PASS  firmware image signed: {NEWER} in slot b by key {key_id}" in audit.stdout
    code, _ = box.stop(seconds=10)
    assert code == 0
    # The next boot goes straight to slot b, committed: no boot counted.
    again = Booted(data, config)
    again.wait_event("appliance.ready", count=3)
    assert state(data)["trial"] is False
    assert again.stop(seconds=10)[0] == 0


def test_a_firmware_that_fails_its_health_check_rolls_back_by_itself(
    bundles: dict[str, Path], tmp_path: Path
) -> None:
    data, config = appliance_data(tmp_path, bundles["key"], trial_seconds=2)
    said = install(bundles["broken"], data, config)
    assert "it runs at the next boot" in said
    box = Booted(data, config)
    failed = box.wait_event("firmware.trial_failed", seconds=60)
    assert "its trial failed: ntp is not running" in str(failed["message"])
    assert "broken on purpose" in str(failed["message"])
    rolled = box.wait_event("firmware.rolled_back", seconds=60)
    assert f"rolled back from firmware {NEWER} in slot b" in str(rolled["message"])
    box.wait_event("appliance.ready", count=2, seconds=60)
    assert f"firmware {__version__} from the base install" in box.stdout().split("services:")[-2]
    assert "firmware rolled back from firmware" in box.stdout()
    back = state(data)
    assert (back["active"], back["trial"]) == ("", False)
    assert box.stop(seconds=10)[0] == 0


def tree(directory: Path) -> dict[str, tuple[int, int, str]]:
    """Every path under `directory` with its mode, mtime and content hash."""
    found = {}
    for path in sorted(directory.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        found[str(path.relative_to(directory))] = (info.st_mode, info.st_mtime_ns, digest)
    return found


def forged(bundle: Path, out: Path, key: Path, **changes: object) -> Path:
    """The bundle with its manifest changed and signed again by `key`: a bundle release
    engineering could have signed (another version, another platform)."""
    import io
    import tarfile

    with tarfile.open(bundle) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    fields = json.loads(members["manifest.json"])
    fields.update(changes)
    manifest = Manifest(**fields).encode()
    members["manifest.json"], members["manifest.sig"] = manifest, sign(manifest, load_private(key))
    with tarfile.open(out, "w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out


def test_bundles_that_may_not_be_installed_are_refused_and_change_nothing(
    bundles: dict[str, Path], tmp_path: Path
) -> None:
    data, config = appliance_data(tmp_path, bundles["key"], trial_seconds=300)
    newer = bundles["newer"].read_bytes()
    tampered = tmp_path / "tampered.bundle"
    tampered.write_bytes(newer[:-20000] + bytes([newer[-20000] ^ 1]) + newer[-19999:])
    truncated = tmp_path / "truncated.bundle"
    truncated.write_bytes(newer[: len(newer) * 2 // 3])
    stranger, _ = release_key(tmp_path)
    older = forged(bundles["newer"], tmp_path / "older.bundle", bundles["key"],
                   firmware_version="0.0.1")  # fmt: skip
    refusals = {
        tampered: "does not match its SHA-256",
        truncated: "truncated",
        forged(bundles["newer"], tmp_path / "unknown.bundle", stranger): "not a trusted",
        older: "is older than the running",
        forged(bundles["newer"], tmp_path / "arm.bundle", bundles["key"],
               platform="linux-aarch64"): "built for cp311 linux-aarch64",
        forged(bundles["newer"], tmp_path / "later.bundle", bundles["key"],
               min_upgrade_from="99.0"): "upgrades only from 99.0 or newer",
    }  # fmt: skip
    before = tree(data)
    for bundle, reason in refusals.items():
        done = timeserver("firmware", "install", str(bundle), "--data-dir", str(data),
                          "--config", str(config))  # fmt: skip
        assert done.returncode == 1, (bundle.name, done.stdout)
        assert done.stderr.startswith("timeserver firmware install: "), done.stderr
        assert reason in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
        assert tree(data) == before, f"{bundle.name} changed the data directory"
    # A downgrade is allowed when asked for, and audited as one.
    install(older, data, config, "--allow-downgrade")
    entries = [json.loads(line) for line in (data / "audit.log").read_text().splitlines()]
    assert [(e["kind"], e["new"].split()[0]) for e in entries] == [("firmware-downgrade", "0.0.1")]
    assert state(data)["version"] == "0.0.1"
    assert os.access(data / "slots" / "b" / "bin" / "timeserver", os.X_OK)
