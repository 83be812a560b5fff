"""The snmpd.conf written from [services.snmp]: users read-only with authPriv, v2c alone for
the community and only from the allowed networks, nothing else."""

from pathlib import Path

from firmware.base.config.schema import SnmpSection
from services.snmp.snmpd_conf import SnmpdPlaces, snmpd_conf, transport_address, without_users

PLACES = SnmpdPlaces(Path("/data/snmp"))
USER = {"name": "nms", "auth": "SHA-512", "auth_passphrase": "auth-pass-1",
        "priv_passphrase": "priv-pass-1"}  # fmt: skip


def conf(**keys: object) -> list[str]:
    section = SnmpSection.model_validate({"enabled": True, "port": 1161, **keys})
    return snmpd_conf(
        section, "clock-1", PLACES, [(1, 3, 6, 1, 2, 1, 197)], (1, 3, 6, 1, 4, 1, 9)
    ).splitlines()


def test_listens_where_bind_says_and_keeps_state_in_the_data_directory() -> None:
    lines = conf(bind=["127.0.0.1", "::1"])
    assert "agentAddress udp:127.0.0.1:1161,udp6:[::1]:1161" in lines
    assert "[snmp] persistentDir /data/snmp/persist" in lines
    assert "sysName clock-1" in lines
    assert "sysObjectID .1.3.6.1.4.1.9" in lines
    assert "agentXSocket unix:/data/snmp/agentx.sock" in lines
    assert "agentXPerms 0600 0700" in lines


def test_users_are_read_only_with_authentication_and_privacy() -> None:
    lines = conf(users=[USER])
    assert 'createUser nms SHA-512 "auth-pass-1" AES "priv-pass-1"' in lines
    assert "rouser -s usm nms authpriv -V appliance" in lines
    assert "view appliance included .1.3.6.1.2.1.1" in lines
    assert "view appliance included .1.3.6.1.2.1.197" in lines
    assert not [line for line in lines if line.startswith(("rwuser", "rwcommunity", "com2sec"))]


def test_no_community_unless_configured_and_then_for_v2c_from_allowed_networks() -> None:
    assert not [line for line in conf() if "community" in line or "com2sec" in line]
    lines = conf(v2c_community="reader-1234", allow=["192.0.2.0/24", "2001:db8::/32"])
    assert "com2sec v2c-reader 192.0.2.0/24 reader-1234" in lines
    assert "com2sec6 v2c-reader 2001:db8::/32 reader-1234" in lines
    assert "group v2c-readers v2c v2c-reader" in lines
    assert not [line for line in lines if line.startswith(("rocommunity", "group v2c-readers v1"))]
    anywhere = conf(v2c_community="reader-1234")
    assert "com2sec v2c-reader 0.0.0.0/0 reader-1234" in anywhere


def test_transport_addresses() -> None:
    assert transport_address("0.0.0.0", 161) == "udp:0.0.0.0:161"
    assert transport_address("::", 161) == "udp6:[::]:161"


def test_the_persistent_file_loses_its_users_and_keeps_the_engine() -> None:
    persistent = (
        'usmUser 1 3 0x80001f88 "nms" "nms" NULL .1.3.6.1.6.3.10.1.1.5 0x1a .1.3 0xb3 ""\n'
        "setserialno 171215250\nengineBoots 4\noldEngineID 0x80001f8880d67a\n"
    )
    assert without_users(persistent) == (
        "setserialno 171215250\nengineBoots 4\noldEngineID 0x80001f8880d67a\n"
    )
