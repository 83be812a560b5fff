"""Installing the HTTPS key pair, one implementation for the command line (`https cert
install|reset`) and the web page's upload: check the pair before anything is touched, write
it atomically, audit who changed it from where (the certificate's subject, issuer,
fingerprint and expiry; never the key), and restart HTTPS through the supervisor."""

from __future__ import annotations

import datetime

from firmware.admin.controls import Controls
from firmware.admin.shell import Reply, Session
from firmware.base.certificates import (
    CERT_FILE,
    CertificateError,
    KeyPair,
    check_pair,
    describe,
    describe_file,
    install_pair,
    self_signed_pair,
)
from firmware.base.events import Severity


def install_certificate(
    controls: Controls, session: Session, chain_pem: bytes, key_pem: bytes
) -> Reply:
    """Install an uploaded or named pair; a refusal is one line and changes nothing."""
    if session.role != "admin":
        return Reply.failed("permission denied: a monitor account may only read")
    try:
        pair = check_pair(chain_pem, key_pem, _now(controls))
    except CertificateError as exc:
        return Reply.failed(f"https cert install refused: {exc}")
    return _put_in_place(controls, session, pair, "installed")


def reset_certificate(controls: Controls, session: Session) -> Reply:
    """Back to a fresh self-signed pair naming the device, as at first boot."""
    serial = (controls.data_dir / "serial").read_text(encoding="ascii").strip()
    pair = self_signed_pair(controls.hostname, serial, _now(controls))
    return _put_in_place(controls, session, pair, "reset to a new self-signed one")


def certificate_text(controls: Controls) -> str:
    """What `https cert show` prints: the certificate HTTPS serves."""
    try:
        info = describe_file(controls.data_dir / CERT_FILE)
    except (OSError, ValueError) as exc:
        return f"no certificate to show: {exc}"
    return "\n".join(info.lines())


def _put_in_place(controls: Controls, session: Session, pair: KeyPair, done: str) -> Reply:
    try:
        old: object = describe_file(controls.data_dir / CERT_FILE).audited()
    except (OSError, ValueError):
        old = None
    install_pair(controls.data_dir, pair)
    info = describe(pair.chain[0])
    store = controls.store
    store.audit.record(store.clock.now_ns(), session.user, session.source,
                       "https.certificate", old, info.audited(), "tls")  # fmt: skip
    controls.bus.emit(
        "https.certificate", Severity.NOTICE,
        f"{session.user} {done.split(' ')[0]} the HTTPS certificate {info.subject} "
        f"(SHA-256 {info.sha256})",
        {"user": session.user, "source": session.source}, security=True,
    )  # fmt: skip
    running = "https" in controls.status() and controls.restart_service is not None
    if running and controls.restart_service is not None:
        controls.restart_service("https")
    then = ("HTTPS restarts with it now (web sessions log in again)" if running
            else "HTTPS serves it when it starts")  # fmt: skip
    return Reply("\n".join([f"certificate {done}; {then}", *info.lines()]))


def _now(controls: Controls) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(controls.store.clock.now_ns() / 1e9, datetime.UTC)
