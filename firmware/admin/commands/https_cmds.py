"""`https cert show|install|reset`: the key pair the HTTPS service serves. install takes a
PEM certificate chain and its private key, each a path the appliance can read or the name of
a file uploaded by SFTP; the checks, the write and the audit are certificate_install's."""

from __future__ import annotations

from firmware.admin.certificate_install import (
    certificate_text,
    install_certificate,
    reset_certificate,
)
from firmware.admin.commands.interpreter import Call, Command
from firmware.admin.shell import Reply
from firmware.base.certificates import CertificateError, read_pem_file
from firmware.upgrade.upload_area import upload_path

USAGE = "https cert [show | install CERT KEY | reset]"


def https(call: Call) -> Reply:
    args = call.args
    if args in ([], ["cert"], ["cert", "show"]):
        return Reply(certificate_text(call.controls))
    if args == ["cert", "reset"]:
        return reset_certificate(call.controls, call.session)
    if args[:2] == ["cert", "install"] and len(args) == 4:
        data_dir = call.controls.data_dir
        try:
            chain = read_pem_file(upload_path(data_dir, args[2]), "certificate")
            key = read_pem_file(upload_path(data_dir, args[3]), "key")
        except CertificateError as exc:
            return Reply.failed(f"https cert install refused: {exc}")
        return install_certificate(call.controls, call.session, chain, key)
    return Reply.usage(f"usage: {USAGE}")


COMMANDS = {
    "https": Command(
        f"{USAGE}\n"
        "  install checks the pair before it touches anything (PEM, the key matches the\n"
        "  certificate, RSA >= 2048 bits, EC P-256/P-384 or Ed25519, not expired, the chain\n"
        "  in order: the server's certificate first, then each issuer), keeps the key 0600,\n"
        "  audits the certificate's subject, issuer, fingerprint and expiry, and restarts\n"
        "  HTTPS with it. CERT and KEY: paths, or names of files uploaded by SFTP.\n"
        "  reset makes a new self-signed pair naming the device.",
        https,
        writes=("cert install", "cert reset"),
        subcommands=("cert", "cert show", "cert install", "cert reset"),
    ),
}
