"""The appliance's TLS policy, written once: TLS 1.2 and 1.3 only, ECDHE key exchange with
AEAD ciphers only, HTTP/1.1. The HTTPS service serves with it and `audit` checks it."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

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
CURVES = frozenset({"secp256r1", "secp384r1"})
"""The EC curves a certificate's key may be on: P-256 and P-384, as browsers and OpenSSL
agree on."""


def key_problem(key: object) -> str:
    """What makes a certificate's public key too weak ("" when nothing): RSA under 2048 bits,
    an EC curve other than P-256 and P-384, or another kind of key (Ed25519 is accepted: the
    TLS stack signs with it in TLS 1.2 and 1.3)."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA key of {key.key_size} bits" if key.key_size < 2048 else ""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "" if key.curve.name in CURVES else f"EC key on {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ""
    return f"{type(key).__name__.removeprefix('_')} key"


def signature_problem(cert: x509.Certificate) -> str:
    """A signature made with MD5 or SHA-1 ("" when the hash is strong)."""
    algorithm = cert.signature_hash_algorithm
    return f"signed with {algorithm.name}" if isinstance(algorithm, WEAK_HASHES) else ""


def certificate_problems(certificate: Path) -> list[str]:
    """What makes a certificate weak (empty when nothing): its key (key_problem) or a
    signature with MD5 or SHA-1."""
    cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    return [problem for problem in (key_problem(cert.public_key()), signature_problem(cert))
            if problem]  # fmt: skip
