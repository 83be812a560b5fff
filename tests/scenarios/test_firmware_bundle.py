"""Release engineering as a user runs it: a signing key, a bundle of this checkout with
every dependency's wheel, checked offline; a damaged copy is refused with the reason."""

from pathlib import Path

from tests.scenarios.appliance import timeserver


def test_keygen_build_and_verify_a_bundle_of_this_checkout(tmp_path: Path) -> None:
    key, bundle = tmp_path / "release.key", tmp_path / "timeserver.bundle"
    made = timeserver("firmware", "keygen", "--out", str(key))
    assert made.returncode == 0, made.stderr
    key_id = made.stdout.split()[2]
    built = timeserver("firmware", "build", "--key", str(key), "--out", str(bundle))
    assert built.returncode == 0, built.stderr
    checked = timeserver("firmware", "verify", str(bundle), "--pubkey", f"{key}.pub")
    assert checked.returncode == 0, checked.stderr
    assert "intact, firmware" in checked.stdout and f"signed by key {key_id}" in checked.stdout
    names = bundle.read_bytes()
    for dependency in (b"wheels/cryptography-", b"wheels/asyncssh-", b"wheels/timeserver-"):
        assert dependency in names  # installs need no network
    damaged = tmp_path / "damaged.bundle"
    damaged.write_bytes(names[: len(names) // 2])
    refused = timeserver("firmware", "verify", str(damaged), "--pubkey", f"{key}.pub")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("timeserver firmware verify: ")
    assert len(refused.stderr.strip().splitlines()) == 1
    stranger = tmp_path / "data"
    (stranger / "firmware-keys").mkdir(parents=True)
    untrusted = timeserver("firmware", "verify", str(bundle), "--data-dir", str(stranger))
    assert untrusted.returncode == 1 and "not a trusted firmware key" in untrusted.stderr
