"""One model for config changes: `config set`, `services enable|disable` and `ntp rules`
stage a change that is checked at once with the loader's own messages; `config commit`
applies it, keeping the file's comments; NTP keys say that they apply at once."""

import tomllib
from pathlib import Path

import pytest

from firmware.admin.commands import Session
from firmware.admin.shell import Status
from firmware.base.config import SERVICE_NAMES, ConfigError
from firmware.base.config.load import load_config
from tests.firmware.admin.conftest import Bench
from tests.firmware.base.config.test_layout import COMMENTED


def console() -> Session:
    return Session("admin", "admin", "console")


def loader_says(tmp_path: Path, toml: str) -> str:
    """The loader's line for a file holding `toml`, without the file's name."""
    path = tmp_path / "loaded.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as refused:
        load_config(path, SERVICE_NAMES)
    (line,) = refused.value.problems
    return line.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("line", "toml"),
    [
        ("config set services.ntp.port 99999", "[services.ntp]\nport = 99999\n"),
        ("config set services.ntp.port fast", '[services.ntp]\nport = "fast"\n'),
        ("config set services.ntp.bind 300.1.1.1", '[services.ntp]\nbind = ["300.1.1.1"]\n'),
        ("config set events.kep 3", "[events]\nkep = 3\n"),
        ("config set services.ssh.enabled yes", '[services.ssh]\nenabled = "yes"\n'),
    ],
)
def test_set_refuses_at_once_with_the_loaders_message(
    bench: Bench, tmp_path: Path, line: str, toml: str
) -> None:
    shell, session = bench.interpreter(), console()
    reply = shell.run(line, session)
    assert reply.text.splitlines()[0] == f"refused, not staged: {loader_says(tmp_path, toml)}"
    assert reply.status == Status.FAILED and session.staged == {}


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("services.ntp.prot", "services.ntp.port"),
        ("ntp.port", "services.ntp.port"),
        ("events.kep", "events.keep"),
        ("services.telent.enabled", "services.telnet.enabled"),
    ],
)
def test_a_mistyped_key_gets_did_you_mean(bench: Bench, key: str, meant: str) -> None:
    lines = bench.run(f"config set {key} 1").splitlines()
    assert "unknown key" in lines[0]
    assert lines[-1].startswith(f"did you mean {meant}")


def test_nothing_close_gets_no_guess(bench: Bench) -> None:
    assert "did you mean" not in bench.run("config set zzzzzz 1")


@pytest.mark.parametrize(
    "line",
    [
        "config set services.daytime.bind 127.0.0.1 ::1",
        """config set services.daytime.bind '["127.0.0.1", "::1"]'""",
    ],
)
def test_a_list_is_typed_as_words_or_as_json(bench: Bench, line: str) -> None:
    shell, session = bench.interpreter(), console()
    assert shell.run(line, session).text == (
        """staged services.daytime.bind = ["127.0.0.1", "::1"]; 'config commit' to apply"""
    )
    assert session.staged == {"services.daytime.bind": ["127.0.0.1", "::1"]}


def test_one_word_for_a_list_is_a_list_of_one(bench: Bench) -> None:
    shell, session = bench.interpreter(), console()
    shell.run("config set syslog.targets udp://192.0.2.10:514", session)
    shell.run("config commit", session)
    assert bench.store.config.syslog.targets == ["udp://192.0.2.10:514"]


def test_rules_are_set_as_json_tables(bench: Bench) -> None:
    shell, session = bench.interpreter(), console()
    line = """config set services.ntp.rules '[{"network": "192.0.2.0/24", "query": true}]'"""
    assert shell.run(line, session).text.startswith("staged services.ntp.rules")
    shell.run("config commit", session)
    assert bench.store.config.services.ntp.rules[0].query


def test_several_words_for_a_single_value_is_a_usage_error(bench: Bench) -> None:
    reply = bench.interpreter().run("config set device.name lab box", console())
    assert reply.status == Status.USAGE and "quote a value that has spaces" in reply.text
    quoted = bench.interpreter().run("config set device.name 'lab box'", console()).text
    assert quoted.startswith("refused, not staged: device.name: 'lab box': ")


def test_staged_changes_are_checked_as_a_whole(bench: Bench) -> None:
    """Each set is checked together with what is staged already."""
    shell, session = bench.interpreter(), console()
    shell.run("config set services.ntp.port 1123", session)
    shell.run("config set services.daytime.enabled true", session)
    assert shell.run("config diff", session).text.splitlines() == [
        "services.ntp.port: 123 -> 1123",
        "services.daytime.enabled: false -> true",
    ]
    assert shell.run("config set services.daytime.port 0", session).status == Status.FAILED
    assert len(session.staged) == 2


def test_services_enable_stages_and_opens_nothing_until_the_commit(bench: Bench) -> None:
    shell, session = bench.interpreter(), console()
    reply = shell.run("services enable telnet", session)
    assert reply.text == "staged services.telnet.enabled = true; 'config commit' to apply"
    assert not bench.store.config.services.telnet.enabled and bench.reloads == 0
    assert "telnet   disabled" in shell.run("services list", session).text
    assert shell.run("config commit", session).text == "committed services.telnet.enabled"
    assert bench.store.config.services.telnet.enabled and bench.reloads == 1
    shell.run("services disable telnet", session)
    assert bench.store.config.services.telnet.enabled, "disable stages too"
    assert shell.run("config discard", session).text == "staged changes discarded"


def test_ntp_rules_stage_and_number_the_staged_list(bench: Bench) -> None:
    shell, session = bench.interpreter(), console()
    assert shell.run("ntp rules add 192.0.2.0/24 require_auth", session).text == (
        "1 rules staged; 'config commit' to apply"
    )
    shell.run("ntp rules add 198.51.100.0/24 query", session)
    assert bench.store.config.services.ntp.rules == [] and bench.reloads == 0
    listing = shell.run("ntp rules list", session).text.splitlines()
    assert listing[0].startswith("no rules")
    assert listing[1] == "staged, not committed ('config commit' to apply):"
    assert listing[2].split() == ["1", "allow", "192.0.2.0/24", "require_auth"]
    assert shell.run("ntp rules remove 1", session).text.startswith("1 rules staged")
    refused = shell.run("ntp rules add 10.0.0.1/8", session)
    assert refused.status == Status.FAILED and "host bits set" in refused.text
    assert shell.run("config commit", session).text == "committed services.ntp.rules"
    (rule,) = bench.store.config.services.ntp.rules
    assert rule.network == "198.51.100.0/24" and rule.query
    assert shell.run("ntp rules list", session).text.split() == [
        "1", "allow", "198.51.100.0/24", "query",
    ]  # fmt: skip


def test_ntp_keys_say_they_apply_at_once(bench: Bench) -> None:
    added = bench.run("ntp keys add 7 sha1 a-secret-key")
    assert added.startswith("key 7 in use now, without restarting NTP (keys are not staged")
    assert "keys add|remove apply at once, without restarting NTP" in bench.run("help ntp")
    assert "staged" in bench.run("help services") and "staged" in bench.run("help config")


def test_a_set_and_commit_keep_the_files_comments(bench: Bench) -> None:
    bench.store.path.write_text(COMMENTED)
    bench.store.load()
    shell, session = bench.interpreter(), console()
    shell.run("config set services.ntp.port 1124", session)
    shell.run("services enable daytime", session)
    assert shell.run("config commit", session).text.startswith("committed")
    written = bench.store.path.read_text()
    assert written.startswith(COMMENTED.replace("port = 1123  #", "port = 1124  #")), written
    assert tomllib.loads(written)["services"]["daytime"] == {"enabled": True}


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("status", Status.OK),
        ("config show events.keep", Status.OK),
        ("audit", Status.FAILED),
        ("config set", Status.USAGE),
        ("frobnicate", Status.USAGE),
        ('"unclosed', Status.USAGE),
        ("services enable", Status.USAGE),
        ("services enable nosuch", Status.FAILED),
        ("config set services.ntp.port 99999", Status.FAILED),
        ("config show no.such.key", Status.FAILED),
        ("ntp keys remove 99", Status.FAILED),
        ("users remove nobody", Status.FAILED),
        ("keypad pin 12", Status.FAILED),
        ("gps inject nonsense", Status.USAGE),
        ("help nosuchcommand", Status.USAGE),
        ("config confirm", Status.FAILED),
    ],
)
def test_every_reply_says_how_the_command_ended(bench: Bench, line: str, status: Status) -> None:
    assert bench.interpreter().run(line, console()).status == status


def test_a_monitor_refused_is_a_failure(bench: Bench) -> None:
    reply = bench.interpreter().run("config set events.keep 9", Session("w", "monitor", "x"))
    assert reply.status == Status.FAILED
