"""The TLS policy: the context the HTTPS service serves with keeps it, and the check that
`audit` runs tells a context that does not."""

import ssl
from pathlib import Path

import pytest

from firmware.base.tls import policy_problems, server_context
from tests.pki import make_pki


def test_the_served_context_keeps_the_policy(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    context = server_context(pki.cert_file, pki.key_file)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert policy_problems(context) == []
    names = {cipher["name"] for cipher in context.get_ciphers()}
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" in names
    assert "ECDHE-ECDSA-AES128-SHA256" not in names  # ECDHE, but CBC


def test_a_default_context_breaks_it() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    problems = policy_problems(context)
    assert problems[0] == "accepts MINIMUM_SUPPORTED"
    assert "offers DHE-RSA-AES256-GCM-SHA384" in problems  # AEAD, but not ECDHE


def test_a_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path) -> None:
    first, second = make_pki(tmp_path / "a"), make_pki(tmp_path / "b")
    with pytest.raises(ssl.SSLError):
        server_context(first.cert_file, second.key_file)
