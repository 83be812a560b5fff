"""A commit naming a leap, keys or CA file the appliance cannot use is refused, with why."""

from pathlib import Path

import pytest

from firmware.base.config import ConfigError
from firmware.base.config.store import ConfigStore
from firmware.boot import make_store
from sim.clock import SteppedClock

REAL_LEAP = Path(__file__).resolve().parents[1] / "data" / "leap-seconds.list"
SHADOW_LIKE = "root:$6$saltsalt$hashhash:19000:0:99999:7:::\n"


@pytest.fixture
def store(tmp_path: Path) -> ConfigStore:
    data = tmp_path / "data"
    data.mkdir()
    store = make_store(data, data / "config.toml", SteppedClock(1_800_000_000 * 10**9))
    store.load(first_boot=True)
    return store


def refused(store: ConfigStore, key: str, value: object) -> str:
    before = store.path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        store.set({key: value}, "admin", "console")
    assert store.path.read_bytes() == before
    (problem,) = caught.value.problems
    assert "$6$" not in problem and "salt" not in problem and "19000" not in problem
    return problem


def test_leap_file_that_is_not_one_is_refused(store: ConfigStore, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(SHADOW_LIKE)
    problem = refused(store, "timing.leap_file", str(shadow))
    assert problem == f"timing.leap_file: {shadow}: line 1: not a leap-seconds.list line"
    assert refused(store, "timing.leap_file", str(tmp_path / "none")).endswith("no such file")
    assert refused(store, "timing.leap_file", str(tmp_path)).endswith("not a regular file")
    assert store.set({"timing.leap_file": str(REAL_LEAP)}, "admin", "console")


def test_keys_file_that_ntp_could_not_start_with_is_refused(
    store: ConfigStore, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.keys"
    empty.write_text("")
    assert refused(store, "services.ntp.keys_file", str(empty)) == (
        f"services.ntp.keys_file: {empty} holds no keys; NTP could not start"
    )
    shadow = tmp_path / "shadow"
    shadow.write_text(SHADOW_LIKE)
    problem = refused(store, "services.ntp.keys_file", str(shadow))
    assert problem.endswith("NTP could not start")
    good = tmp_path / "good.keys"
    good.write_text("1 AES128CMAC 000102030405060708090a0b0c0d0e0f\n")
    assert store.set({"services.ntp.keys_file": str(good)}, "admin", "console")


def test_ca_file_that_is_not_pem_is_refused(store: ConfigStore, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(SHADOW_LIKE)
    assert refused(store, "syslog.ca_file", str(shadow)) == (
        f"syslog.ca_file: {shadow}: not a PEM file of CA certificates"
    )
    assert (
        refused(store, "syslog.ca_file", "/dev/zero")
        == "syslog.ca_file: /dev/zero: not a regular file"
    )


def test_unchanged_files_are_not_checked_again(store: ConfigStore) -> None:
    # The default leap file may be missing on this host; a change elsewhere still commits.
    assert store.set({"events.keep": 9}, "admin", "console").events.keep == 9
