"""The audit's TLS check: HTTPS's context as the service builds it, from the key pair in the
data directory, against the policy."""

import datetime
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from firmware.admin.hardening import tls_check
from tests.pki import make_pki


def install_pair(data_dir: Path, certificate: Path, key: Path) -> None:
    shutil.copy(certificate, data_dir / "tls.crt")
    shutil.copy(key, data_dir / "tls.key")


def weak_pair(directory: Path) -> tuple[Path, Path]:
    """A self-signed RSA 1024 certificate, as old appliances shipped."""
    key = rsa.generate_private_key(65537, 1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "weak.crt", directory / "weak.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )  # fmt: skip
    return cert_path, key_path


def test_no_tls_service_is_not_applicable(tmp_path: Path) -> None:
    check = tls_check(False, False, tmp_path)
    assert check.mark == "N/A "
    assert check.not_applicable.startswith("no TLS service: HTTPS is disabled")


def test_the_device_key_pair_passes(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    install_pair(tmp_path, pki.cert_file, pki.key_file)
    assert tls_check(True, False, tmp_path).mark == "PASS"


def test_a_weak_certificate_fails_and_says_why(tmp_path: Path) -> None:
    install_pair(tmp_path, *weak_pair(tmp_path))
    check = tls_check(True, False, tmp_path)
    assert check.mark == "FAIL"
    assert check.fix.startswith("HTTPS: RSA key of 1024 bits")


def test_a_missing_or_mismatched_pair_fails(tmp_path: Path) -> None:
    assert tls_check(True, False, tmp_path).fix.startswith("HTTPS: cannot load ")
    first, second = make_pki(tmp_path / "a"), make_pki(tmp_path / "b")
    install_pair(tmp_path, first.cert_file, second.key_file)
    assert tls_check(True, False, tmp_path).mark == "FAIL"
