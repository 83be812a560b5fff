"""A config file that is missing, huge or not a file stops a boot and a reload, in one line."""

import signal
from pathlib import Path

from tests.scenarios.appliance import Booted, timeserver, write_config


def test_boot_with_a_named_config_that_does_not_exist_refuses(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.toml"
    result = timeserver("boot", "--data-dir", str(tmp_path / "data"), "--config", str(missing))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{missing}: no such file",
        "timeserver: config refused; nothing started",
    ]
    assert not (tmp_path / "data").exists()


def test_boot_with_dev_zero_refuses_in_one_line(tmp_path: Path) -> None:
    result = timeserver("boot", "--data-dir", str(tmp_path / "data"), "--config", "/dev/zero")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "/dev/zero: not a regular file"


def test_boot_with_deep_nesting_refuses_in_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    result = timeserver("boot", "--data-dir", str(tmp_path / "data"), "--config", str(deep))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{deep}: nested deeper than the config allows",
        "timeserver: config refused; nothing started",
    ]


def test_only_a_data_dir_that_never_booted_may_lack_its_config(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    result = timeserver("config", "show", "--data-dir", str(data))
    assert result.returncode == 0 and "[services.ntp]" in result.stdout
    (data / "serial").write_text("TS-000000000001\n")  # booted before; config.toml gone since
    for command in (("config", "show"), ("boot",)):
        result = timeserver(*command, "--data-dir", str(data))
        assert result.returncode == 2
        assert result.stderr.splitlines()[0] == f"{data / 'config.toml'}: no such file"
    assert not (data / "config.toml").exists()


def test_sighup_after_the_file_was_deleted_keeps_the_running_config(tmp_path: Path) -> None:
    booted = Booted(tmp_path / "data")
    booted.wait_event("appliance.ready")
    booted.config.unlink()
    booted.signal(signal.SIGHUP)
    refused = booted.wait_event("config.invalid")
    assert refused["message"] == f"{booted.config}: no such file"
    booted.wait_event("config.refused")
    assert not any(event["kind"] == "config.reloaded" for event in booted.events())
    assert booted.stop()[0] == 0


def test_a_link_never_replaces_a_file_in_the_link_directory(tmp_path: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    victim = links / "gps0"
    victim.write_text("precious\n")
    config = write_config(
        tmp_path / "config.toml", f'[device]\nlink_dir = "{links}"\n[gps.sim]\nlink = "gps0"\n'
    )
    booted = Booted(tmp_path / "data", config)
    failed = booted.wait_event("service.failed_to_start")
    assert f"link directory {links} holds gps0, which is not a link" in str(failed["message"])
    assert booted.stop()[0] == 0
    assert victim.read_text() == "precious\n" and not victim.is_symlink()
