"""Keys files and MACs, checked against the MACs chronyd computed in the captures."""

from pathlib import Path

import pytest

from services.ntp.keyring import KeyRing
from services.ntp.keys import KeysFileError, KeyType, parse_keys
from tests.services.ntp.captures import (
    CHRONY_AES,
    CHRONY_KEYS,
    CHRONY_MD5,
    CHRONY_SHA1,
    CHRONYD_REPLY_AES,
)


@pytest.mark.parametrize(
    ("packet", "key_id", "size"),
    [(CHRONY_MD5, 1, 16), (CHRONY_SHA1, 2, 20), (CHRONY_AES, 3, 16), (CHRONYD_REPLY_AES, 3, 16)],
)
def test_macs_match_chronyd(packet: bytes, key_id: int, size: int) -> None:
    key = parse_keys(CHRONY_KEYS, "chrony.keys")[key_id]
    body, digest = packet[:48], packet[52:]
    assert len(digest) == size
    assert key.mac(body) == digest
    assert key.verify(body, digest)
    assert not key.verify(body[:-1] + b"\x00", digest)


def test_ntpsec_format_and_chrony_prefixes() -> None:
    keys = parse_keys(
        "# comment\n"
        "1 MD5 shortascii   # up to 20 characters: ASCII\n"
        "2 SHA1 0102030405060708090a0b0c0d0e0f1011121314\n"
        "3 AES128CMAC 000102030405060708090a0b0c0d0e0f\n"
        "4 md5 ASCII:with-prefix\n"
        "5 AES128 HEX:000102030405060708090a0b0c0d0e0f\n",
        "ntp.keys",
    )
    assert keys[1].secret == b"shortascii" and keys[1].type is KeyType.MD5
    assert keys[2].secret == bytes(range(1, 21))
    assert keys[3].type is keys[5].type is KeyType.AES128CMAC
    assert keys[4].secret == b"with-prefix"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1 MD5", "expected: keyid type key"),
        ("0 MD5 abc", "the key id is not a number 1..65535"),
        ("70000 MD5 abc", "the key id is not a number 1..65535"),
        ("1 SHA256 abc", "the type is not MD5, SHA1 or AES128CMAC"),
        ("1 AES128CMAC 0011", "an AES-128-CMAC key is 16 bytes, not 4"),
        ("1 MD5 zz" + "0" * 40, "the key is not hex"),
    ],
)
def test_bad_lines_name_the_line_and_never_the_secret(line: str, message: str) -> None:
    with pytest.raises(KeysFileError) as caught:
        parse_keys(f"# first\n{line}\n", "ntp.keys")
    assert str(caught.value).startswith("ntp.keys:2: ")
    assert message in str(caught.value)
    assert "zz000" not in str(caught.value)


def test_keys_change_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "ntp.keys"
    path.write_text(CHRONY_KEYS)
    ring = KeyRing(path, trusted=[])
    assert ring.listing() == [(1, "MD5"), (2, "SHA1"), (3, "AES128CMAC")]
    ring.add(9, KeyType.AES128CMAC, "HEX:" + "ab" * 16)
    ring.add(1, KeyType.SHA1, "rotated-secret")
    ring.remove(2)
    again = KeyRing(path, trusted=[])
    assert again.listing() == [(1, "SHA1"), (3, "AES128CMAC"), (9, "AES128CMAC")]
    assert again.lookup(1).secret == b"rotated-secret"  # type: ignore[union-attr]
    assert "rotated-secret" not in str(again.listing())
    path.write_text("4 MD5 another\n")
    assert again.reload() and again.listing() == [(4, "MD5")]
    assert not again.reload()


def test_only_trusted_keys_are_used(tmp_path: Path) -> None:
    path = tmp_path / "ntp.keys"
    path.write_text(CHRONY_KEYS)
    ring = KeyRing(path, trusted=[3])
    assert ring.lookup(3) is not None and ring.lookup(1) is None


@pytest.mark.parametrize(
    "line",
    [
        "root:$6$saltsalt$hashhash:19000:0:99999:7::: x y",
        "root:$6$saltsalt$hashhash:19000:0:99999:7:::",
        "1 root:$6$saltsalt$hashhash x",
        "1 MD5 root:$6$saltsalt$hashhash\u00e9",
    ],
)
def test_no_text_of_a_file_that_is_not_a_keys_file_reaches_the_message(line: str) -> None:
    with pytest.raises(KeysFileError) as caught:
        parse_keys(line + "\n", "/etc/shadow")
    message = str(caught.value).removeprefix("/etc/shadow:1: ")
    assert "root" not in message and "salt" not in message


def test_a_keys_file_that_is_not_ascii_names_no_byte(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_bytes("1 MD5 s\u00e9cret\n".encode())
    with pytest.raises(KeysFileError) as caught:
        KeyRing(path, [])
    assert str(caught.value) == f"{path}: not ASCII text"
