"""Passwords are kept as scrypt hashes that reject anything but the password."""

from firmware.admin.passwords import hash_password, random_password, verify_password


def test_hash_verifies_only_the_password() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("$scrypt$ln=15,r=8,p=1$")
    assert verify_password("a long enough password", stored)
    assert not verify_password("a long enough passwore", stored)
    assert hash_password("a long enough password") != stored


def test_damaged_hashes_never_verify() -> None:
    stored = hash_password("a long enough password")
    for damaged in (
        "",
        "plain",
        stored.replace("scrypt", "md5"),
        stored[:-8],
        "$scrypt$ln=99,r=8,p=1$AA$AA",
    ):
        assert not verify_password("a long enough password", damaged)


def test_random_passwords_avoid_look_alike_characters() -> None:
    words = {random_password() for _ in range(50)}
    assert len(words) == 50
    assert not any(ch in word for word in words for ch in "0O1lI")
