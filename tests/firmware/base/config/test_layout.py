"""A commit writes config.toml back with the comments, order and layout a person gave it."""

import tomllib
from pathlib import Path

from firmware.base.config.layout import render
from tests.firmware.base.config.test_store import make_store

COMMENTED = """\
# Lab time server: ask Kim before changing the NTP port.

[services.ntp]
# clients in the lab poll this one
port = 1123  # not 123: the lab box runs a chronyd too
workers = 1

# The collectors, oldest first.
[syslog]
targets = ["udp://192.0.2.10:514"]   # the old one

[events]
# one week of rotation
keep = 7
"""


def test_a_removed_key_takes_its_comments_and_leaves_the_others(tmp_path: Path) -> None:
    """The comment on a removed key's line and the lines right above it describe it and go;
    a comment set off by a blank line, and the table's other keys, stay."""
    document = tomllib.loads(COMMENTED)
    del document["services"]["ntp"]["port"]
    del document["events"]["keep"]
    written = render(COMMENTED, document)
    assert tomllib.loads(written) == document
    for gone in ("clients in the lab poll", "not 123", "one week of rotation"):
        assert gone not in written
    for kept in ("# Lab time server", "workers = 1", "# The collectors", "# the old one"):
        assert kept in written
    assert written.index("[services.ntp]") < written.index("[syslog]") < written.index("[events]")


def test_new_keys_go_after_their_tables_keys_and_new_tables_at_the_end() -> None:
    document = tomllib.loads(COMMENTED)
    document["services"]["ntp"]["workers"] = 2
    document["services"]["ntp"]["bind"] = ["127.0.0.1"]
    document["services"]["daytime"] = {"enabled": True}
    written = render(COMMENTED, document)
    assert tomllib.loads(written) == document
    ntp = 'workers = 2\nbind = ["127.0.0.1"]\n\n# The collectors, oldest first.\n[syslog]\n'
    assert ntp in written, written
    assert written.endswith("keep = 7\n\n[services.daytime]\nenabled = true\n"), written


def test_a_set_keeps_the_layout_and_a_rollback_puts_it_all_back(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.path.write_text(COMMENTED)
    store.load()
    before = tomllib.loads(COMMENTED)
    store.set({"services.ntp.port": 999, "device.name": "lab-2"}, "admin", "console")
    written = store.path.read_text()
    assert written.startswith(COMMENTED.replace("port = 1123  #", "port = 999  #")), written
    assert '[device]\nname = "lab-2"' in written
    store.replace(before, "rollback", "console")
    assert store.path.read_text().rstrip() == COMMENTED.rstrip()


def test_a_file_tomlkit_cannot_edit_is_still_written_right(tmp_path: Path) -> None:
    """A layout that cannot be kept is written afresh: correct, without comments."""
    document = {"events": {"keep": 9}}
    written = render("this is not TOML [", document)
    assert tomllib.loads(written) == document
