"""snmp users and traps: staged like every config change, committed with 'config commit',
passphrases and communities never shown; traps test goes to the running service's targets."""

from firmware.admin.commands import Session
from tests.firmware.admin.conftest import Bench

AUTH, PRIV = "auth-pass-1234", "priv-pass-1234"


def session() -> Session:
    return Session("admin", "admin", "ssh 192.0.2.9")


def test_users_are_staged_then_committed_and_never_show_their_passphrases(bench: Bench) -> None:
    shell, admin = bench.interpreter(), session()
    added = shell.run(f"snmp users add nms {AUTH} {PRIV} sha-512", admin).text
    assert added == "1 users staged; 'config commit' to apply"
    assert bench.store.config.services.snmp.users == []
    listing = shell.run("snmp users list", admin).text
    assert listing.splitlines()[0] == "no SNMPv3 users"
    assert "  1 nms" in listing and "SHA-512/AES" in listing
    assert shell.run("config commit", admin).text.startswith("committed services.snmp.users")
    (user,) = bench.store.config.services.snmp.users
    assert (user.name, user.auth, user.auth_passphrase) == ("nms", "SHA-512", AUTH)
    shown = shell.run("snmp users", admin).text + shell.run("config show", admin).text
    assert AUTH not in shown and PRIV not in shown
    assert AUTH not in (bench.store.path.parent / "audit.log").read_text()
    assert shell.run("snmp users remove nms", admin).text.startswith("0 users staged")
    assert shell.run("snmp users remove nobody", admin).text == "no SNMPv3 user 'nobody'"


def test_bad_users_are_refused_with_the_loader_s_words(bench: Bench) -> None:
    short = bench.run("snmp users add nms short priv-pass-1234")
    assert short.startswith("refused, not staged:") and "8 to 64" in short
    assert "unknown authentication 'md5'" in bench.run(f"snmp users add nms {AUTH} {PRIV} md5")
    assert bench.run("snmp users add nms").startswith("usage: snmp users")


def test_targets_need_a_known_user_and_are_listed_by_number(bench: Bench) -> None:
    shell, admin = bench.interpreter(), session()
    refused = shell.run("snmp traps add 192.0.2.50 nms", admin).text
    assert "user 'nms' is not in users" in refused
    shell.run(f"snmp users add nms {AUTH} {PRIV}", admin)
    assert shell.run("snmp traps add 192.0.2.50 nms", admin).text.startswith("1 notification")
    shell.run("snmp traps add [2001:db8::5]:1162 nms trap", admin)
    shell.run("snmp traps add 192.0.2.51:1162 v2c trap-reader-1", admin)
    shell.run("config commit", admin)
    listing = shell.run("snmp traps list", admin).text.splitlines()
    assert listing == [
        "  1 192.0.2.50:162               v3 inform as nms",
        "  2 [2001:db8::5]:1162           v3 trap as nms",
        "  3 192.0.2.51:1162              v2c trap",
    ]
    assert "trap-reader-1" not in shell.run("config show", admin).text
    shell.run("snmp traps remove 2", admin)
    shell.run("config commit", admin)
    assert [t.address for t in bench.store.config.services.snmp.traps] == [
        "192.0.2.50", "192.0.2.51"]  # fmt: skip
    assert shell.run("snmp traps remove 9", admin).text == "no notification target 9"


def test_traps_test_asks_the_running_service(bench: Bench) -> None:
    assert bench.run("snmp traps test").startswith("snmp is not running")
    bench.status["snmp"] = {"state": "running"}
    assert bench.run("snmp traps test").startswith("no notification targets")
    shell, admin = bench.interpreter(), session()
    shell.run(f"snmp users add nms {AUTH} {PRIV}", admin)
    shell.run("snmp traps add 192.0.2.50 nms", admin)
    shell.run("config commit", admin)
    assert shell.run("snmp traps test", admin).text.endswith("for 1 targets")
    (test,) = [event for event in bench.seen if event.kind == "snmp.test"]
    assert test.fields == {"user": "admin", "source": "ssh 192.0.2.9"}


def test_a_monitor_may_list_but_not_change(bench: Bench) -> None:
    assert bench.run("snmp users list", "watcher", "monitor") == "no SNMPv3 users"
    denied = bench.run(f"snmp users add x {AUTH} {PRIV}", "watcher", "monitor")
    assert denied.startswith("permission denied")
    assert bench.run("snmp traps test", "watcher", "monitor").startswith("permission denied")
