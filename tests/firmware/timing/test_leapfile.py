"""leap-seconds.list as IERS/NIST publish it: table, SHA-1 check, expiry."""

import datetime
import hashlib
from pathlib import Path

import pytest

from firmware.timing.leapfile import NTP_TO_UNIX, LeapFileError, load_leap_file, parse_leap_file

REAL = Path(__file__).resolve().parents[2] / "data" / "leap-seconds.list"


def unix(*fields: int) -> int:
    return int(datetime.datetime(*fields, tzinfo=datetime.UTC).timestamp())


def test_real_file_parses_and_its_hash_checks() -> None:
    table = load_leap_file(REAL)
    assert table.tai_offset(unix(2026, 1, 1)) == 37
    assert table.tai_offset(unix(2016, 12, 31)) == 36
    assert table.tai_offset(unix(2017, 1, 1)) == 37
    assert table.entries[0] == (unix(1972, 1, 1), 10)
    assert table.next_leap(unix(2016, 6, 1)) == (unix(2017, 1, 1), 1)
    assert table.next_leap(unix(2026, 1, 1)) is None
    assert table.expires_unix == unix(2026, 6, 28)


def test_a_changed_table_fails_the_hash() -> None:
    text = REAL.read_text().replace("3692217600      37", "3692217600      38")
    with pytest.raises(LeapFileError, match="hash mismatch"):
        parse_leap_file(text)


def make(entries: list[tuple[int, int]], expires: int) -> str:
    """A leap file of our own with a correct hash, as the test tables need."""
    updated = unix(2026, 1, 1) + NTP_TO_UNIX
    data = [str(updated), str(expires + NTP_TO_UNIX)]
    rows = []
    for start, offset in entries:
        data += [str(start + NTP_TO_UNIX), str(offset)]
        rows.append(f"{start + NTP_TO_UNIX}\t{offset}\t# entry")
    digest = hashlib.sha1("".join(data).encode()).hexdigest()
    words = " ".join(digest[n : n + 8] for n in range(0, 40, 8))
    return "\n".join([f"#$\t{updated}", f"#@\t{expires + NTP_TO_UNIX}", *rows, f"#h\t{words}"])


def test_own_file_with_a_future_leap() -> None:
    text = make([(unix(2017, 1, 1), 37), (unix(2027, 1, 1), 38)], unix(2027, 6, 28))
    table = parse_leap_file(text)
    assert table.next_leap(unix(2026, 12, 31)) == (unix(2027, 1, 1), 1)


@pytest.mark.parametrize(
    "text",
    ["", "#$ 1\n#@ 2\n", "#$ x\n", "#$ 1\n#@ 2\n3 nonsense\n#h 0"],
)
def test_broken_files_are_refused(text: str) -> None:
    with pytest.raises(LeapFileError):
        parse_leap_file(text)


SHADOW_LIKE = "root:$6$saltsalt$hashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@pytest.mark.parametrize(
    "text",
    [
        SHADOW_LIKE,
        "#h 726f6f74 2432 73616c74\n" + REAL.read_text().split("#h")[0],
        "3692217600 root:$6$saltsalt\n",
    ],
    ids=["shadow", "hash-line", "table-line"],
)
def test_no_text_of_a_file_that_is_not_a_leap_file_reaches_the_message(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "shadow"
    path.write_text(text)
    with pytest.raises(LeapFileError) as caught:
        load_leap_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    message = str(caught.value).removeprefix(f"{path}: ")
    assert "root" not in message and "salt" not in message and "726f6f74" not in message


def test_a_device_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(LeapFileError, match="/dev/zero: not a regular file"):
        load_leap_file(Path("/dev/zero"))
