"""The command line a network engineer expects (issue 13 item 11): unique prefixes, Tab
completion of config keys, enum values, scenarios and user names, `?`, help with an example,
NTP key types in any case with their strength checked, and every change outside the config in
the audit log with who and from where."""

import asyncio
import json

import pytest

from firmware.admin.commands import COMMANDS
from firmware.admin.commands.examples import EXAMPLES
from firmware.admin.shell import Session
from firmware.base.config.audit import AuditEntry
from services.syslog.target import Target
from tests.firmware.admin.conftest import Bench
from tests.tools import free_port


def audit(bench: Bench) -> list[AuditEntry]:
    return list(bench.store.audit.entries())


def test_unique_prefixes_of_commands_and_subcommands(bench: Bench) -> None:
    assert bench.run("stat") == bench.run("status")
    assert bench.run("s") == "ambiguous command 's': services, snmp, status, syslog"
    assert bench.run("ntp k l").split() == ["1", "AES128CMAC"]
    assert bench.run("config c") == "ambiguous config 'c': commit, confirm"
    assert bench.run("VERS").startswith("timeserver ")
    assert bench.run("users a x", "watcher", "monitor").startswith("permission denied")


def test_tab_completes_config_keys_a_level_at_a_time(bench: Bench) -> None:
    complete = bench.interpreter().complete
    assert complete("config set serv") == ["config set services."]
    assert complete("conf sh Services.Nt") == ["conf sh services.ntp."]
    assert "config set services.ntp.port " in complete("config set services.ntp.")
    assert "config set services.ntp.ratelimit." in complete("config set services.ntp.")
    assert complete("config set services.nope.") == []


def test_tab_completes_enum_values_scenarios_and_user_names(bench: Bench) -> None:
    complete = bench.interpreter().complete
    assert complete("config set gps.backend ") == [
        f"config set gps.backend {name} " for name in ("sim", "serial", "gpsd")
    ]
    assert complete("config set timing.smear t") == ["config set timing.smear true "]
    assert complete("config set services.ntp.port ") == [], "a free value: nothing to type in"
    assert complete("gps inject antenna_o") == ["gps inject antenna_open "]
    assert complete("users remove w") == ["users remove watcher "]
    assert complete("ntp keys add 9 a") == ["ntp keys add 9 AES128CMAC "]
    assert complete("help sy") == ["help syslog "]


def test_question_mark_explains_what_fits(bench: Bench) -> None:
    describe = bench.interpreter().describe
    assert "  services  services [list | enable NAME | disable NAME | restart NAME]" in describe(
        "se"
    )
    assert describe("config set services.ntp.port ")[0] == "  <value>  UDP port of the NTP server."
    assert describe("status ")[-1].startswith("  <Enter>")
    assert describe("frobnicate ") == ["nothing fits here; 'help' lists the commands"]


@pytest.mark.parametrize("name", sorted({*COMMANDS, "help"}))
def test_help_explains_every_command_with_an_example(bench: Bench, name: str) -> None:
    text = bench.run(f"help {name}")
    assert text.startswith(f"{name}: ") and "\nexample:\n  " in text
    assert name in EXAMPLES[name]


def test_ntp_key_types_in_any_case_and_a_wrong_one_lists_the_valid_ones(bench: Bench) -> None:
    assert "in use" in bench.run("ntp keys add 5 aes128cmac HEX:" + "ab" * 16)
    assert bench.run("ntp keys list").split()[-2:] == ["5", "AES128CMAC"]
    assert bench.run("ntp keys add 6 sha256 HEX:" + "ab" * 20) == (
        "error: no key type 'sha256'; types are MD5, SHA1 and AES128CMAC"
    )


def test_ntp_keys_shorter_than_80_bits_are_refused_or_warned_about(bench: Bench) -> None:
    assert bench.run("ntp keys add 7 SHA1 HEX:" + "ab" * 9) == (
        "error: a SHA1 key must be at least 80 bits (10 bytes, 20 hex digits), not 72"
    )
    assert bench.run("ntp keys add 8 AES128CMAC HEX:" + "ab" * 15).startswith("error: ")
    weak = bench.run("ntp keys add 9 MD5 ASCII:short")
    assert weak.startswith("warning: a 40-bit key is weak") and "key 9 in use" in weak
    assert "in use" in bench.run("ntp keys add 10 SHA1 HEX:" + "ab" * 10)
    assert [key for key, _ in bench.controls.ntp_keys.listing()] == [1, 9, 10]


def test_account_key_rule_and_keypad_changes_are_audited(bench: Bench) -> None:
    bench.run("users add alice monitor")
    bench.run("users remove alice")
    bench.run("ntp keys add 9 SHA1 HEX:" + "cd" * 10)
    bench.run("ntp keys remove 9")
    # Staged in one session, audited when committed.
    shell, session = bench.interpreter(), Session("admin", "admin", "ssh 192.0.2.9")
    shell.run("ntp rules add 192.0.2.0/24 noratelimit", session)
    shell.run("config commit", session)
    bench.run("keypad pin 2468")
    bench.run("keypad lock")
    rows = [(e.kind, e.key, e.old, e.new) for e in audit(bench)]
    assert rows[:4] == [
        ("account", "users.alice", None, {"role": "monitor"}),
        ("account", "users.alice", {"role": "monitor"}, None),
        ("ntp-key", "ntp.keys.9", None, "SHA1"),
        ("ntp-key", "ntp.keys.9", "SHA1", None),
    ]
    assert rows[4][:2] == ("config", "services.ntp.rules")
    assert rows[5:] == [
        ("keypad", "keypad.pin", None, "<redacted>"),
        ("keypad", "keypad.locked", False, True),
    ]
    assert all((e.who, e.source) == ("admin", "ssh 192.0.2.9") for e in audit(bench))
    assert "cd" * 10 not in bench.store.audit.path.read_text()
    shown = bench.run("log show --audit")
    assert 'users.alice null -> {"role": "monitor"}' in shown
    assert json.loads(bench.store.audit.path.read_text().splitlines()[0])["kind"] == "account"


def test_gps_shows_position_and_a_satellite_table(bench: Bench) -> None:
    bench.status["gps"] |= {
        "position": {"latitude": 48.1173, "longitude": -11.5167, "altitude": 545.4},
        "satellites": [
            {"prn": 3, "elevation": 45, "azimuth": 120, "snr": 42, "used": True},
            {"prn": 12, "elevation": 5, "azimuth": None, "snr": None, "used": False},
            {"prn": 7, "elevation": 60, "azimuth": 300, "snr": 47, "used": True},
        ],
    }
    lines = bench.run("gps").splitlines()
    assert "position            48.11730 N 11.51670 W, 545.4 m" in lines
    table = lines[lines.index(" PRN  elevation  azimuth  SNR  used") + 2 :]
    assert [row.split() for row in table] == [
        ["7", "60", "300", "47", "yes"],
        ["3", "45", "120", "42", "yes"],
        ["12", "5", "-", "-", "no"],
    ]
    bench.status["gps"] |= {"position": None, "satellites": []}
    assert "unknown (no fix)" in bench.run("gps") and "no satellites in view" in bench.run("gps")


async def test_syslog_says_in_words_how_each_collector_and_its_queue_are(bench: Bench) -> None:
    url = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    target = Target(url, 4, bench.bus, None, reconnect_initial=0.05)
    for n in range(6):
        target.put(f"event {n}".encode())
    running = asyncio.create_task(target.run())
    try:
        for _ in range(100):
            if target.errors:
                break
            await asyncio.sleep(0.02)
    finally:
        running.cancel()
    bench.store.set({"syslog.targets": [url]}, "admin", "test")
    bench.status["syslog"] = {"targets": {url: target.status()}}
    url_line, state = bench.run("syslog").splitlines()
    assert url_line == url
    assert state.startswith("  unreachable (") and "), retrying; " in state
    assert state.endswith("; queue full (4): the oldest events are being dropped; 0 sent, "
                          "2 dropped since start")  # fmt: skip
    del bench.status["syslog"]
    assert bench.run("syslog").endswith("not running (the syslog service is stopped)")
