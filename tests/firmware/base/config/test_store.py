"""Config changes are validated, written whole, and audited with secrets redacted."""

import json
import tomllib
from pathlib import Path

import pytest
from pydantic import Field

from firmware.base.config import SERVICE_NAMES, ConfigError
from firmware.base.config.audit import REDACTED, AuditLog
from firmware.base.config.schema import Section
from firmware.base.config.store import ConfigStore, is_secret, redacted
from sim.clock import SteppedClock

START_NS = 1_800_000_000 * 10**9


def make_store(tmp_path: Path) -> ConfigStore:
    return ConfigStore(
        tmp_path / "config.toml",
        SERVICE_NAMES,
        AuditLog(tmp_path / "audit.log"),
        SteppedClock(START_NS),
    )


def test_set_writes_only_what_the_user_chose_and_audits_it(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.load(first_boot=True)
    config = store.set(
        {"services.ntp.port": 1123, "syslog.targets": ["udp://127.0.0.1:514"]},
        "admin",
        "ssh 192.0.2.7",
    )
    assert config.services.ntp.port == 1123
    on_disk = tomllib.loads((tmp_path / "config.toml").read_text())
    assert on_disk == {
        "services": {"ntp": {"port": 1123}},
        "syslog": {"targets": ["udp://127.0.0.1:514"]},
    }
    entries = list(store.audit.entries())
    assert [(e.who, e.source, e.key, e.old, e.new) for e in entries] == [
        ("admin", "ssh 192.0.2.7", "services.ntp.port", 123, 1123),
        ("admin", "ssh 192.0.2.7", "syslog.targets", [], ["udp://127.0.0.1:514"]),
    ]
    assert entries[0].time == "2027-01-15T08:00:00.000Z"


def test_a_bad_change_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.set({"services.ntp.port": 1123}, "admin", "console")
    before = (tmp_path / "config.toml").read_bytes()
    with pytest.raises(ConfigError) as caught:
        store.set({"services.ntp.port": 0}, "admin", "console")
    assert "services.ntp.port: 0 is out of range 1..65535" in caught.value.problems[0]
    assert (tmp_path / "config.toml").read_bytes() == before
    assert store.config.services.ntp.port == 1123
    assert len(list(store.audit.entries())) == 1


def test_file_is_owner_only(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.set({"services.ntp.port": 1123}, "admin", "console")
    assert (tmp_path / "config.toml").stat().st_mode & 0o077 == 0
    assert (tmp_path / "audit.log").stat().st_mode & 0o077 == 0


class Community(Section):
    name: str = Field("public", json_schema_extra={"secret": True})
    port: int = 161


class WithSecret(Section):
    snmp: Community = Field(default_factory=Community)


def test_secret_keys_are_known_from_the_schema() -> None:
    assert is_secret(WithSecret, "snmp.name")
    assert not is_secret(WithSecret, "snmp.port")
    assert not is_secret(WithSecret, "snmp.nothing")
    shown = redacted(WithSecret(), WithSecret)
    assert shown == {"snmp": {"name": REDACTED, "port": 161}}
    assert "public" not in json.dumps(shown)


def test_hand_edited_file_changes_are_audited_on_reload(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.load(first_boot=True)
    (tmp_path / "config.toml").write_text(
        '[services.ssh]\nallow = ["192.0.2.0/24"]\n[events]\nkeep = 9\n'
    )
    store.reload("config file", "SIGHUP")
    assert [(e.who, e.source, e.key, e.old, e.new) for e in store.audit.entries()] == [
        ("config file", "SIGHUP", "services.ssh.allow", [], ["192.0.2.0/24"]),
        ("config file", "SIGHUP", "events.keep", 5, 9),
    ]
    store.reload("config file", "SIGHUP")
    assert len(list(store.audit.entries())) == 2


def test_lists_of_tables_are_audited_as_plain_data(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.load(first_boot=True)
    rule = {"network": "192.0.2.0/24", "action": "deny"}
    store.set({"services.ntp.rules": [rule]}, "admin", "ssh 192.0.2.7")
    (entry,) = store.audit.entries()
    assert entry.old == [] and entry.new == [
        {**rule, "require_auth": False, "query": False, "kod": True, "ratelimit": True}
    ]


def test_first_boot_writes_the_factory_config_and_later_loads_need_the_file(
    tmp_path: Path,
) -> None:
    store = make_store(tmp_path)
    config = store.load(first_boot=True)
    assert config.services.ntp.port == 123
    assert tomllib.loads((tmp_path / "config.toml").read_text()) == {}
    (tmp_path / "config.toml").unlink()
    with pytest.raises(ConfigError) as caught:
        store.reload("config file", "SIGHUP")
    assert caught.value.problems == [f"{tmp_path / 'config.toml'}: no such file"]
    assert store.config.services.ntp.port == 123


SNMP_USER = {"name": "nms", "auth_passphrase": "auth-secret-1", "priv_passphrase": "priv-secret-1"}


def test_secrets_in_lists_of_tables_are_redacted_in_the_audit_and_the_shown_config(
    tmp_path: Path,
) -> None:
    store = make_store(tmp_path)
    store.load(first_boot=True)
    store.set({"services.snmp.users": [SNMP_USER], "services.snmp.v2c_community": "reader-1234"},
              "admin", "ssh 192.0.2.7")  # fmt: skip
    audit = (tmp_path / "audit.log").read_text()
    assert "secret-1" not in audit and "reader-1234" not in audit
    users = next(e for e in store.audit.entries() if e.key == "services.snmp.users")
    assert users.new == [{"name": "nms", "auth": "SHA-256", "auth_passphrase": REDACTED,
                          "priv": "AES", "priv_passphrase": REDACTED}]  # fmt: skip
    shown = redacted(store.config)["services"]["snmp"]
    assert shown["users"][0]["priv_passphrase"] == REDACTED
    assert shown["v2c_community"] == REDACTED
    assert is_secret(WithSecret, "snmp.name")


def test_a_bad_secret_is_refused_without_quoting_it(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.load(first_boot=True)
    for user in ({**SNMP_USER, "auth_passphrase": "short"},
                 {**SNMP_USER, "auth_passphrase": 'quote"secret'}):  # fmt: skip
        with pytest.raises(ConfigError) as caught:
            store.set({"services.snmp.users": [user]}, "admin", "console")
        (problem,) = caught.value.problems
        problem = problem.split("config.toml: ", 1)[1]
        assert problem.startswith("services.snmp.users.0.auth_passphrase: <redacted>: ")
        assert "short" not in problem and "secret" not in problem
    trap = {"address": "192.0.2.1", "user": "nobody"}
    with pytest.raises(ConfigError) as caught:
        store.set({"services.snmp.users": [SNMP_USER], "services.snmp.traps": [trap]},
                  "admin", "console")  # fmt: skip
    (problem,) = caught.value.problems
    assert problem.split("config.toml: ", 1)[1] == (
        "services.snmp: traps: 192.0.2.1: user 'nobody' is not in users"
    )
