"""The snmpd.conf written from [services.snmp]: snmpd on loopback behind the front door,
users read-only with authPriv, v2c alone for the community, nothing else."""

from pathlib import Path

from firmware.base.config.schema import SnmpSection
from services.snmp.snmpd_conf import SnmpdPlaces, snmpd_conf, transport_address, without_users

PLACES = SnmpdPlaces(Path("/data/snmp"))
USER = {"name": "nms", "auth": "SHA-512", "auth_passphrase": "auth-pass-1",
        "priv_passphrase": "priv-pass-1"}  # fmt: skip


def conf(**keys: object) -> list[str]:
    section = SnmpSection.model_validate({"enabled": True, "port": 1161, **keys})
    return snmpd_conf(
        section, "clock-1", PLACES, 40161, [(1, 3, 6, 1, 2, 1, 197)], (1, 3, 6, 1, 4, 1, 9)
    ).splitlines()


def test_listens_on_loopback_only_and_keeps_state_in_the_data_directory() -> None:
    lines = conf(bind=["0.0.0.0", "::"])
    assert [line for line in lines if line.startswith("agentAddress")] == [
        "agentAddress udp:127.0.0.1:40161"]  # fmt: skip
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


def test_no_community_unless_configured_and_then_for_v2c_through_the_front_door() -> None:
    assert not [line for line in conf() if "community" in line or "com2sec" in line]
    lines = conf(v2c_community="reader-1234", allow=["192.0.2.0/24", "2001:db8::/32"])
    assert [line for line in lines if line.startswith("com2sec")] == [
        "com2sec v2c-reader 127.0.0.1/32 reader-1234"]  # fmt: skip
    assert "group v2c-readers v2c v2c-reader" in lines
    assert not [line for line in lines if line.startswith(("rocommunity", "group v2c-readers v1"))]


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


def test_notifications_go_to_every_target_as_configured() -> None:
    lines = conf(
        users=[USER],
        traps=[
            {"address": "192.0.2.50", "user": "nms"},
            {"address": "2001:db8::50", "port": 1162, "user": "nms", "inform": False},
            {"address": "192.0.2.51", "version": "v2c", "community": "trap-reader-1"},
        ],
    )
    assert [line for line in lines if line.startswith("trapsess")] == [
        'trapsess -Ci -v 3 -u nms -l authPriv -a SHA-512 -A "auth-pass-1" -x AES '
        '-X "priv-pass-1" udp:192.0.2.50:162',
        'trapsess -v 3 -u nms -l authPriv -a SHA-512 -A "auth-pass-1" -x AES '
        '-X "priv-pass-1" udp6:[2001:db8::50]:1162',
        "trapsess -v 2c -c trap-reader-1 udp:192.0.2.51:162",
    ]
    assert not [line for line in conf() if line.startswith(("trapsess", "trap2sink"))]
