"""The checks an HTTPS key pair passes before it is installed: one table of pairs made here
with `cryptography`, each refused with its one line or accepted; and the install that leaves
a whole pair behind a kill."""

import datetime
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from firmware.base.certificates import (
    CERT_FILE,
    KEY_FILE,
    MAX_PEM_BYTES,
    PENDING_FILE,
    CertificateError,
    check_pair,
    describe,
    finish_pending,
    install_pair,
    read_pem_file,
)
from tests.pki import Key, issue, key_pem, pem

NOW = datetime.datetime(2027, 1, 15, 12, 0, tzinfo=datetime.UTC)
P256 = ec.generate_private_key(ec.SECP256R1())
OTHER = ec.generate_private_key(ec.SECP256R1())
CA_KEY = ec.generate_private_key(ec.SECP384R1())
CA = issue("test CA", CA_KEY, NOW, ca=True)
Pair = tuple[bytes, bytes]


def own(key: Key, days: tuple[int, int] = (-1, 30)) -> Pair:
    return pem(issue("ts.example", key, NOW, days=days)), key_pem(key)


def chained(*order: str) -> Pair:
    leaf = issue("ts.example", P256, NOW, issuer=(CA, CA_KEY))
    certs = {"leaf": leaf, "ca": CA}
    return pem(*(certs[name] for name in order)), key_pem(P256)


ROWS: list[tuple[str, Callable[[], Pair], str | None]] = [
    ("EC P-256, self-signed", lambda: own(P256), None),
    ("EC P-384", lambda: own(ec.generate_private_key(ec.SECP384R1())), None),
    ("RSA 2048", lambda: own(rsa.generate_private_key(65537, 2048)), None),
    ("Ed25519", lambda: own(ed25519.Ed25519PrivateKey.generate()), None),
    ("chain in order", lambda: chained("leaf", "ca"), None),
    ("chain upside down", lambda: chained("ca", "leaf"),
     "the chain is not in order: certificate 2 (CN=ts.example) did not issue certificate 1"),
    ("key of another certificate", lambda: (own(P256)[0], key_pem(OTHER)),
     "the key does not match the certificate's public key"),
    ("expired", lambda: own(P256, (-60, -1)), "the certificate expired on 2027-01-14"),
    ("not valid yet", lambda: own(P256, (2, 30)), "is not valid before 2027-01-17"),
    ("RSA 1024", lambda: own(rsa.generate_private_key(65537, 1024)),
     "too weak: RSA key of 1024 bits"),
    ("EC P-521", lambda: own(ec.generate_private_key(ec.SECP521R1())),
     "too weak: EC key on secp521r1"),
    ("certificate not PEM", lambda: (b"\x30\x82\x01\x00 DER bytes", key_pem(P256)),
     "the certificate is not PEM (no BEGIN CERTIFICATE block)"),
    ("certificate block garbled",
     lambda: (b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
              key_pem(P256)), "the certificate is not PEM: a block does not decode"),
    ("key not PEM", lambda: (own(P256)[0], b"just text"),
     "the key is not PEM (no BEGIN PRIVATE KEY block)"),
    ("certificate where the key goes", lambda: (own(P256)[0], own(P256)[0]),
     "the key is not PEM (no BEGIN PRIVATE KEY block)"),
    ("two keys, the certificate's second", lambda: (own(P256)[0], key_pem(OTHER) + key_pem(P256)),
     "the key file holds 2 private keys; give only the certificate's"),
    ("EC parameters before the key (openssl ecparam -genkey)",
     lambda: (own(P256)[0], b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
              b"-----END EC PARAMETERS-----\n" + key_pem(P256)), None),
    ("too large", lambda: (b"#" * (MAX_PEM_BYTES + 1), key_pem(P256)),
     "the certificate is too large"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "refusal"), [row[1:] for row in ROWS],
                         ids=[row[0] for row in ROWS])  # fmt: skip
def test_each_pair_is_accepted_or_refused_with_one_line(
    make: Callable[[], Pair], refusal: str | None
) -> None:
    chain, key = make()
    if refusal is None:
        pair = check_pair(chain, key, NOW)
        assert pair.chain_pem == chain
        return
    with pytest.raises(CertificateError) as raised:
        check_pair(chain, key, NOW)
    message = str(raised.value)
    assert refusal in message and "\n" not in message
    assert len(key) < 80 or key.decode(errors="replace")[40:80] not in message  # nor the key


def test_an_encrypted_key_is_refused_without_asking_for_a_passphrase() -> None:
    from cryptography.hazmat.primitives import serialization

    encrypted = P256.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret passphrase"),
    )  # fmt: skip
    with pytest.raises(CertificateError, match="the key is encrypted"):
        check_pair(own(P256)[0], encrypted, NOW)


def test_only_regular_files_of_sensible_size_are_read(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="not a regular file"):
        read_pem_file(tmp_path, "certificate")
    big = tmp_path / "big.pem"
    big.write_bytes(b"#" * (MAX_PEM_BYTES + 1))
    with pytest.raises(CertificateError, match="too large"):
        read_pem_file(big, "certificate")
    with pytest.raises(CertificateError, match="No such file"):
        read_pem_file(tmp_path / "missing.pem", "key")


def test_install_writes_the_key_0600_and_describes_the_certificate(tmp_path: Path) -> None:
    pair = check_pair(*chained("leaf", "ca"), NOW)
    install_pair(tmp_path, pair)
    assert (tmp_path / KEY_FILE).read_bytes() == key_pem(P256)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert (tmp_path / CERT_FILE).read_bytes() == pair.chain_pem
    assert not (tmp_path / PENDING_FILE).exists()
    info = describe(pair.chain[0])
    assert (info.subject, info.issuer, info.self_signed) == ("CN=ts.example", "CN=test CA", False)
    assert len(info.sha256.split(":")) == 32 and "key" not in json.dumps(info.audited())
    assert describe(CA).self_signed


def test_a_pair_a_kill_left_pending_is_finished_at_boot(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_bytes(b"old key")
    (tmp_path / CERT_FILE).write_bytes(b"old certificate")
    chain, key = own(P256)
    record = {"key": key.decode(), "chain": chain.decode()}
    (tmp_path / PENDING_FILE).write_text(json.dumps(record))  # killed before the key went in
    finish_pending(tmp_path)
    assert (tmp_path / KEY_FILE).read_bytes() == key
    assert (tmp_path / CERT_FILE).read_bytes() == chain
    assert not (tmp_path / PENDING_FILE).exists()
