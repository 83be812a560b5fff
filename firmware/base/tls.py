"""The appliance's TLS policy, written once: TLS 1.2 and 1.3 only, ECDHE key exchange with
AEAD ciphers only, HTTP/1.1. The HTTPS service serves with it and `audit` checks it."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

# TLS 1.2 suites: ephemeral ECDH, then AES-GCM or ChaCha20-Poly1305. TLS 1.3's suites are all
# AEAD with ephemeral (EC)DH already.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
OPTIONS = (
    ssl.OP_NO_COMPRESSION
    | ssl.OP_CIPHER_SERVER_PREFERENCE
    | ssl.OP_NO_RENEGOTIATION
    | ssl.OP_SINGLE_ECDH_USE
)


def server_context(certificate: Path, key: Path) -> ssl.SSLContext:
    """A server context with the policy and the device's (or an uploaded) key pair; an
    unreadable or mismatched pair raises ssl.SSLError or OSError naming the problem."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= OPTIONS
    context.set_alpn_protocols(["http/1.1"])
    context.load_cert_chain(certificate, key)
    return context


def policy_problems(context: ssl.SSLContext) -> list[str]:
    """What in a context breaks the policy (empty when none): a version below TLS 1.2, or a
    cipher without ephemeral ECDH or without AEAD."""
    problems = []
    if context.minimum_version < ssl.TLSVersion.TLSv1_2:
        problems.append(f"accepts {context.minimum_version.name}")
    for cipher in context.get_ciphers():
        tls13 = cipher["protocol"] == "TLSv1.3"
        if not cipher["aead"] or not (tls13 or cipher["kea"] == "kx-ecdhe"):
            problems.append(f"offers {cipher['name']}")
    return problems


WEAK_HASHES = (hashes.MD5, hashes.SHA1)


def certificate_problems(certificate: Path) -> list[str]:
    """What makes a certificate weak (empty when nothing): a key under 2048 bits (RSA) or
    256 bits (EC), another kind of key, or a signature with MD5 or SHA-1."""
    cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    key = cert.public_key()
    problems = []
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        problems.append(f"RSA key of {key.key_size} bits")
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 256:
        problems.append(f"EC key on {key.curve.name}")
    elif not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        problems.append(f"{type(key).__name__} key")
    if isinstance(cert.signature_hash_algorithm, WEAK_HASHES):
        problems.append(f"signed with {cert.signature_hash_algorithm.name}")
    return problems
