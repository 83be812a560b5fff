"""The HTTPS key pair: a certificate chain and its private key checked before anything is
installed (each refusal one line, never a word of the key), a certificate described for
people and the audit log, the self-signed pair of first boot, and the pair replaced so that
a kill at any moment leaves the old pair or the new one, never half of each."""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from firmware.base.atomic_file import sync_directory, write_atomic
from firmware.base.tls import key_problem, signature_problem

KEY_FILE = "tls.key"
CERT_FILE = "tls.crt"
PENDING_FILE = "tls.pending.json"
"""The new pair, written whole before either file is replaced: finished at the next boot
when a kill came in between."""
KEY_BLOCK = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
"""A private key's PEM block (PKCS#8, encrypted or not, or the RSA and EC forms)."""
MAX_PEM_BYTES = 64 * 1024
"""A certificate chain or a key larger than this is not one: refused before it is read."""


class CertificateError(ValueError):
    """Why a certificate or a key cannot be installed, in one line."""


@dataclass(frozen=True)
class KeyPair:
    """A chain (the server's certificate first, then each issuer) and its private key, checked."""

    chain: list[x509.Certificate]
    key_pem: bytes
    """PKCS#8, unencrypted: the form the TLS stack loads without a passphrase."""

    @property
    def chain_pem(self) -> bytes:
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.chain)


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    not_before: str
    not_after: str
    sha256: str
    self_signed: bool

    def lines(self) -> list[str]:
        made = " (self-signed)" if self.self_signed else ""
        return [
            f"subject:     {self.subject}",
            f"issuer:      {self.issuer}{made}",
            f"valid:       {self.not_before} to {self.not_after}",
            f"SHA-256:     {self.sha256}",
        ]

    def audited(self) -> dict[str, str]:
        """What the audit log keeps of a certificate: who it names, who signed it, its
        fingerprint and its expiry."""
        return {"subject": self.subject, "issuer": self.issuer, "sha256": self.sha256,
                "not_after": self.not_after}  # fmt: skip


def read_pem_file(path: Path, what: str) -> bytes:
    """The bytes of a PEM file named on the command line: a regular file of at most
    MAX_PEM_BYTES (a FIFO or a device is refused without blocking on it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise CertificateError(f"{what} {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CertificateError(f"{what} {path}: not a regular file")
        if info.st_size > MAX_PEM_BYTES:
            raise CertificateError(f"{what} {path}: too large ({info.st_size} bytes, at most "
                                   f"{MAX_PEM_BYTES})")  # fmt: skip
        return os.read(fd, MAX_PEM_BYTES + 1)
    finally:
        os.close(fd)


def check_pair(chain_pem: bytes, key_pem: bytes, now: datetime.datetime) -> KeyPair:
    """The pair when it may be served: both PEM, the key the certificate's, a key and
    signatures the TLS policy accepts, every certificate valid now, each issued by the next."""
    for data, what in ((chain_pem, "certificate"), (key_pem, "key")):
        if len(data) > MAX_PEM_BYTES:
            raise CertificateError(f"the {what} is too large (at most {MAX_PEM_BYTES} bytes)")
    chain = _certificates(chain_pem)
    key = _private_key(key_pem)
    _check_order(chain)
    if _spki(key.public_key()) != _spki(chain[0].public_key()):
        raise CertificateError("the key does not match the certificate's public key")
    weak = key_problem(chain[0].public_key())
    if weak:
        raise CertificateError(f"too weak: {weak} (RSA 2048 bits or more, EC P-256 or P-384, "
                               "or Ed25519)")  # fmt: skip
    for number, cert in enumerate(chain, start=1):
        problem = signature_problem(cert)
        if problem:
            raise CertificateError(f"too weak: certificate {number} is {problem}")
        _check_dates(number, cert, now)
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())  # fmt: skip
    return KeyPair(chain, pkcs8)


def _certificates(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateError("the certificate is not PEM (no BEGIN CERTIFICATE block)")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError("the certificate is not PEM: a block does not decode") from None


def _private_key(data: bytes) -> PrivateKeyTypes:
    if b"PRIVATE KEY-----" not in data:
        raise CertificateError("the key is not PEM (no BEGIN PRIVATE KEY block)")
    keys = len(KEY_BLOCK.findall(data))
    if keys > 1:  # only the first would be read: a match or "does not match" by its order
        raise CertificateError(f"the key file holds {keys} private keys; give only the "
                               "certificate's")  # fmt: skip
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise CertificateError("the key is encrypted: install it without a passphrase") from None
    except (ValueError, UnsupportedAlgorithm):
        raise CertificateError("the key is not PEM: its block does not decode") from None
    return key


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _check_dates(number: int, cert: x509.Certificate, now: datetime.datetime) -> None:
    which = "the certificate" if number == 1 else f"certificate {number} of the chain"
    if now > cert.not_valid_after_utc:
        raise CertificateError(f"{which} expired on {_day(cert.not_valid_after_utc)}")
    if now < cert.not_valid_before_utc:
        raise CertificateError(f"{which} is not valid before {_day(cert.not_valid_before_utc)}")


def _check_order(chain: list[x509.Certificate]) -> None:
    for number, (child, parent) in enumerate(zip(chain, chain[1:], strict=False), start=1):
        if not _issued_by(child, parent):
            raise CertificateError(
                f"the chain is not in order: certificate {number + 1} "
                f"({parent.subject.rfc4514_string()}) did not issue certificate {number} "
                f"({child.subject.rfc4514_string()}); put the server's certificate first, then "
                "each issuer"
            )


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def describe(cert: x509.Certificate) -> CertificateInfo:
    fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    return CertificateInfo(
        cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(),
        _day(cert.not_valid_before_utc), _day(cert.not_valid_after_utc), fingerprint,
        _issued_by(cert, cert),
    )  # fmt: skip


def describe_file(path: Path) -> CertificateInfo:
    """The certificate the HTTPS service serves (the first of the file)."""
    return describe(x509.load_pem_x509_certificate(path.read_bytes()))


def _day(moment: datetime.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def self_signed_pair(hostname: str, serial: str, now: datetime.datetime) -> KeyPair:
    """A fresh EC P-256 key and a certificate naming the device, valid ten years."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, hostname),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "timeserver appliance"),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
    ])  # fmt: skip
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(hostname), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())  # fmt: skip
    return KeyPair([certificate], pkcs8)


def install_pair(data_dir: Path, pair: KeyPair) -> None:
    """Replace tls.key (0600) and tls.crt: the pair goes whole into one pending file first,
    so that a kill between the two replacements is finished by `finish_pending` at boot."""
    record = {"key": pair.key_pem.decode("ascii"), "chain": pair.chain_pem.decode("ascii")}
    write_atomic(data_dir / PENDING_FILE, json.dumps(record).encode("ascii"), 0o600)
    finish_pending(data_dir)


def finish_pending(data_dir: Path) -> None:
    """Put a pending pair in place, if there is one (install_pair, or a boot after a kill)."""
    pending = data_dir / PENDING_FILE
    try:
        record = json.loads(pending.read_text(encoding="ascii"))
    except FileNotFoundError:
        return
    except ValueError:  # a pending file is written atomically: unreadable means not ours
        pending.unlink()
        return
    write_atomic(data_dir / KEY_FILE, record["key"].encode("ascii"), 0o600)
    write_atomic(data_dir / CERT_FILE, record["chain"].encode("ascii"), 0o644)
    pending.unlink()
    sync_directory(data_dir)
