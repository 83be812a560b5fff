"""First boot makes a device identity of its own, kept owner-only, with no default password."""

import datetime
import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from firmware.admin.passwords import PasswordError, verify_password
from firmware.identity import ensure_identity

NOW = datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC)


def test_first_boot_makes_every_piece_owner_only(tmp_path: Path) -> None:
    identity = ensure_identity(tmp_path / "data", None, NOW)
    data = tmp_path / "data"
    assert data.stat().st_mode & 0o777 == 0o700
    secrets = [
        "serial",
        "ssh_host_ed25519_key",
        "ssh_host_rsa_key",
        "tls.key",
        "ntp.keys",
        "users.json",
    ]
    for name in secrets:
        assert (data / name).stat().st_mode & 0o077 == 0, name
    assert identity.serial.startswith("TS-")
    assert identity.hostname in (data / "ssh_host_ed25519_key.pub").read_text()


def test_ssh_host_keys_are_what_openssh_reads(tmp_path: Path) -> None:
    identity = ensure_identity(tmp_path, None, NOW)
    for kind, bits in (("ed25519", "256"), ("rsa", "3072")):
        key = identity.ssh_host_keys[kind]
        derived = subprocess.run(
            ["ssh-keygen", "-y", "-f", str(key)], capture_output=True, text=True, check=True
        ).stdout.split()[:2]
        assert derived == key.with_name(key.name + ".pub").read_text().split()[:2]
        info = subprocess.run(
            ["ssh-keygen", "-l", "-f", str(key)], capture_output=True, text=True, check=True
        ).stdout
        assert info.split()[0] == bits


def test_tls_certificate_names_the_device(tmp_path: Path) -> None:
    identity = ensure_identity(tmp_path, None, NOW)
    certificate = x509.load_pem_x509_certificate(identity.tls_certificate.read_bytes())
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert names[0].value == identity.hostname
    serials = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    assert serials[0].value == identity.serial
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert identity.hostname in san.get_values_for_type(x509.DNSName)
    assert certificate.not_valid_after_utc > NOW + datetime.timedelta(days=3000)


def test_ntp_keys_file_in_ntpsec_format(tmp_path: Path) -> None:
    identity = ensure_identity(tmp_path, None, NOW)
    rows = [
        line.split()
        for line in identity.ntp_keys.read_text().splitlines()
        if not line.startswith("#")
    ]
    assert [(row[0], row[1], len(row[2])) for row in rows] == [
        ("1", "AES128CMAC", 32),
        ("2", "SHA1", 40),
        ("3", "MD5", 40),
    ]
    for row in rows:
        bytes.fromhex(row[2])


def test_two_devices_never_share_a_key(tmp_path: Path) -> None:
    one = ensure_identity(tmp_path / "one", None, NOW)
    two = ensure_identity(tmp_path / "two", None, NOW)
    assert one.serial != two.serial
    for name in ("ssh_host_ed25519_key", "ssh_host_rsa_key", "tls.key", "ntp.keys"):
        assert (tmp_path / "one" / name).read_bytes() != (tmp_path / "two" / name).read_bytes()
    assert one.one_time_password != two.one_time_password


def test_one_time_password_is_shown_once_and_only_its_hash_kept(tmp_path: Path) -> None:
    first = ensure_identity(tmp_path, None, NOW)
    assert first.one_time_password is not None and len(first.one_time_password) >= 12
    users = json.loads((tmp_path / "users.json").read_text())
    assert first.one_time_password not in json.dumps(users)
    assert users["admin"]["must_change_password"] is True
    assert users["admin"]["password_hash"].startswith("$scrypt$")
    assert verify_password(first.one_time_password, users["admin"]["password_hash"])
    second = ensure_identity(tmp_path, None, NOW)
    assert second.one_time_password is None
    assert second.created == []
    assert second.serial == first.serial


def test_password_from_environment_needs_no_change(tmp_path: Path) -> None:
    identity = ensure_identity(tmp_path, "correct horse battery", NOW)
    assert identity.one_time_password is None
    admin = json.loads((tmp_path / "users.json").read_text())["admin"]
    assert admin["must_change_password"] is False
    assert verify_password("correct horse battery", admin["password_hash"])
    assert not verify_password("correct horse batterz", admin["password_hash"])


def test_short_password_from_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PasswordError, match="at least 12"):
        ensure_identity(tmp_path / "data", "short", NOW)
    assert not (tmp_path / "data").exists()
