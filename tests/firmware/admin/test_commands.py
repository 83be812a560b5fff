"""The admin commands, as rows of (command line, what the answer says)."""

import json

import pytest

from firmware.admin.commands import Session
from tests.firmware.admin.conftest import NOW, Bench


def test_help_completion_and_errors(bench: Bench) -> None:
    assert "services" in bench.run("help") and "ntp" in bench.run("help")
    assert bench.run("help config").startswith("config: ")
    assert "unknown command 'frobnicate'" in bench.run("frobnicate")
    assert bench.run('"unclosed').startswith("error: ")
    interpreter = bench.interpreter()
    assert interpreter.complete("sta") == ["status "]
    assert interpreter.complete("services e") == ["services enable "]


def test_config_set_diff_commit_is_audited(bench: Bench) -> None:
    interpreter = bench.interpreter()
    session = Session("admin", "admin", "ssh 192.0.2.9")
    assert "staged" in interpreter.run("config set events.keep 9", session).text
    assert interpreter.run("config diff", session).text == "events.keep: 5 -> 9"
    assert interpreter.run("config commit", session).text == "committed events.keep"
    assert bench.store.config.events.keep == 9 and bench.reloads == 1
    (entry,) = bench.store.audit.entries()
    assert (entry.who, entry.source, entry.key, entry.old, entry.new) == (
        "admin", "ssh 192.0.2.9", "events.keep", 5, 9,
    )  # fmt: skip
    refused = interpreter.run("config set events.keep 0", session).text
    assert refused == "refused, not staged: events.keep: 0 is out of range 1..100"
    assert session.staged == {}
    assert interpreter.run("config commit", session).text == "nothing staged"
    interpreter.run("config set events.keep 8", session)
    assert interpreter.run("config discard", session).text == "staged changes discarded"
    assert bench.run("config show events") == "max_bytes = 1000000\nkeep = 9"


def test_a_monitor_may_only_read(bench: Bench) -> None:
    for line in ("config set events.keep 9", "services disable telnet", "users add x monitor",
                 "ntp keys add 5 MD5 abc", "keypad lock", "reboot"):  # fmt: skip
        assert bench.run(line, "watcher", "monitor").startswith("permission denied")
    assert "ntp" in bench.run("services list", "watcher", "monitor")
    assert bench.run("config show events.keep", "watcher", "monitor") == "5"
    denied = [e for e in bench.seen if e.kind == "admin.denied"]
    assert len(denied) == 6 and denied[0].fields["user"] == "watcher"


def test_services_enable_disable_and_ntp_refuses(bench: Bench) -> None:
    assert bench.run("services disable ntp").startswith("NTP cannot be disabled")
    shell, session = bench.interpreter(), Session("admin", "admin", "ssh 192.0.2.9")
    assert shell.run("services enable daytime", session).text == (
        "staged services.daytime.enabled = true; 'config commit' to apply"
    )
    assert not bench.store.config.services.daytime.enabled and bench.reloads == 0
    assert shell.run("config commit", session).text == "committed services.daytime.enabled"
    assert bench.store.config.services.daytime.enabled and bench.reloads == 1


def test_users_add_list_remove(bench: Bench) -> None:
    added = bench.run("users add alice monitor")
    assert added.startswith("alice added; one-time password ")
    assert "alice" in bench.run("users list") and "must change password" in bench.run("users list")
    assert bench.run("users remove admin", "admin").startswith("refused")
    assert bench.run("users remove alice") == "alice removed"


def test_ntp_keys_and_rules(bench: Bench) -> None:
    assert bench.run("ntp keys list").split() == ["1", "AES128CMAC"]
    assert "in use" in bench.run("ntp keys add 7 sha1 a-secret-key")
    assert bench.run("ntp keys list").split() == ["1", "AES128CMAC", "7", "SHA1"]
    assert "a-secret-key" not in json.dumps([e.message for e in bench.seen])
    assert bench.run("ntp keys remove 1").startswith("key 1 removed now")


@pytest.mark.parametrize("line", ["keypad pin 2468", "keypad lock"])
def test_keypad(bench: Bench, line: str) -> None:
    bench.run("keypad pin 2468")
    assert bench.run(line).startswith("keypad ")
    assert "error" in bench.run("keypad pin 12")


def test_audit_report_lists_every_recommendation(bench: Bench) -> None:
    report = bench.run("audit").splitlines()
    assert report[-1].endswith("not applicable")
    assert any(line.startswith("FAIL  admin password changed") for line in report)
    assert any(line.startswith("FAIL  remote syslog configured") for line in report)
    assert any(line.startswith("PASS  telnet off and SSH on") for line in report)
    # HTTPS is on by default, and this data directory has no key pair for it.
    tls = report.index("FAIL  TLS 1.2 or newer only, ECDHE + AEAD ciphers, a strong certificate")
    assert report[tls + 1].startswith("      fix: HTTPS: cannot load ")
    # What does not apply says why, and is not a failure.
    signed = report.index("FAIL  firmware image signed")
    assert report[signed + 1].startswith("      fix: the base install runs, which no bundle")


def test_log_show_filters_audit(bench: Bench) -> None:
    shell, session = bench.interpreter(), Session("admin", "admin", "ssh 192.0.2.9")
    shell.run("services enable daytime", session)
    shell.run("config commit", session)
    assert "services.daytime.enabled false -> true" in bench.run("log show --audit")


def test_monitor_reads_ntp_but_may_not_change_keys(bench: Bench) -> None:
    assert bench.run("ntp keys list", "watcher", "monitor").split() == ["1", "AES128CMAC"]
    assert bench.run("ntp keys remove 1", "watcher", "monitor").startswith("permission denied")
    assert bench.run("ntp rules list", "watcher", "monitor").startswith("no rules")


def test_ntp_clients_from_the_service_status(bench: Bench) -> None:
    assert bench.run("ntp clients") == "no clients seen"
    bench.status["ntp"] = {"clients": [["192.0.2.5", 12, 1_800_000_000 * 10**9]]}
    lines = bench.run("ntp clients").splitlines()
    assert lines[1].split() == ["192.0.2.5", "12", "2027-01-15", "08:00:00"]


def test_ntp_stats_say_when_the_workers_serve_a_stale_snapshot(bench: Bench) -> None:
    bench.status["ntp"] = {"served": 9, "served_stale": 0, "snapshot_age_ms": 12,
                           "snapshot_stale": False}  # fmt: skip
    lines = bench.run("ntp stats").splitlines()
    assert lines[:2] == ["served         9", "served_stale   0"]
    assert lines[-1] == "snapshot       fresh, 12 ms old"
    bench.status["ntp"] = {"served": 9, "served_stale": 4, "snapshot_age_ms": 3100,
                           "snapshot_stale": True}  # fmt: skip
    lines = bench.run("ntp stats").splitlines()
    assert lines[1] == "served_stale   4"
    assert lines[-1].startswith("snapshot       STALE, 3100 ms old")


def test_ntp_stats_show_the_client_table_when_the_fast_path_has_one(bench: Bench) -> None:
    bench.status["ntp"] = {"served": 9, "snapshot_age_ms": 12, "snapshot_stale": False,
                           "client_table": {"clients": 3, "capacity": 200_000,
                                            "longest_chain": 2}}  # fmt: skip
    lines = bench.run("ntp stats").splitlines()
    assert lines[-2] == "client table   3 of 200000 clients, longest chain 2"
    bench.status["ntp"] = {"served": 9, "snapshot_age_ms": 12, "snapshot_stale": False}
    assert not any(line.startswith("client table") for line in bench.run("ntp stats").splitlines())


def test_status_shows_the_simulated_worlds_truth_apart_from_the_services(bench: Bench) -> None:
    bench.status["sim"] = {
        "true_error_ns": -42, "true_utc_ns": NOW, "offset_ns": 2_500_000, "frequency_ppm": 5.0,
    }  # fmt: skip
    lines = bench.run("status").splitlines()
    assert (
        "sim         true error -42 ns (served minus the simulated world's UTC); "
        "world offset 2500000 ns, +5.000000 ppm"
    ) in lines
    assert lines[-2:] == ["services", "  gps       running"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("gps.sim.link", "/tmp/victim"),
        ("gps.sim.link", "../config.toml"),
        ("services.console.link", "/etc/passwd"),
        ("device.link_dir", "relative/links"),
        ("device.link_dir", "/var/lib/../../etc"),
    ],
)
def test_config_set_refuses_a_link_outside_the_link_directory(
    bench: Bench, key: str, value: str
) -> None:
    interpreter = bench.interpreter()
    session = Session("admin", "admin", "ssh 192.0.2.9")
    refused = interpreter.run(f'config set {key} "{value}"', session).text
    assert refused.startswith("refused, not staged: ") and key in refused
    assert session.staged == {} and bench.reloads == 0
