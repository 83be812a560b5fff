"""Which config changes cut off which session: one row per (change, session), checked by
the decision the commit path uses (no I/O, no clock)."""

from typing import Any

import pytest

from firmware.admin.cutoff import cutoff
from firmware.admin.shell import CONSOLE, Origin
from firmware.base.config import SERVICE_NAMES, Config, parse_config

SSH = Origin("ssh", "192.0.2.9", "192.0.2.1", 22)
SSH6 = Origin("ssh", "2001:db8::9", "2001:db8::1", 22)
SSH_MAPPED = Origin("ssh", "::ffff:192.0.2.9", "::ffff:192.0.2.1", 22)
TELNET = Origin("telnet", "192.0.2.9", "192.0.2.1", 23)
BASE = {
    "services": {
        "ssh": {"port": 22},
        "telnet": {"enabled": True, "port": 23},
    }
}


def config(changes: dict[str, Any]) -> Config:
    document: dict[str, Any] = {"services": {k: dict(v) for k, v in BASE["services"].items()}}
    for key, value in changes.items():
        *tables, leaf = key.split(".")
        node = document
        for name in tables:
            node = node.setdefault(name, {})
        node[leaf] = value
    return parse_config(document, "test", SERVICE_NAMES)


ROWS = [
    # (change, session, expected reason or None when the session stays reachable)
    ({"services.ssh.enabled": False}, SSH, "SSH would be disabled"),
    ({"services.ssh.port": 2222}, SSH, "SSH would move from port 22 to port 2222"),
    ({"services.ssh.bind": ["127.0.0.1"]}, SSH, "no longer listen on 192.0.2.1"),
    ({"services.ssh.bind": ["::"]}, SSH, "no longer listen on 192.0.2.1"),
    ({"services.ssh.bind": ["0.0.0.0"]}, SSH6, "no longer listen on 2001:db8::1"),
    ({"services.ssh.bind": ["0.0.0.0"]}, SSH, None),
    ({"services.ssh.bind": ["192.0.2.1"]}, SSH, None),
    ({"services.ssh.bind": ["192.0.2.1"]}, SSH_MAPPED, None),
    ({"services.ssh.allow": ["10.0.0.0/8"]}, SSH, "SSH would no longer allow 192.0.2.9"),
    ({"services.ssh.allow": ["10.0.0.0/8"]}, SSH6, "SSH would no longer allow 2001:db8::9"),
    ({"services.ssh.allow": ["192.0.2.0/24"]}, SSH, None),
    ({"services.ssh.allow": ["192.0.2.0/24"]}, SSH_MAPPED, None),
    ({"services.ssh.allow": ["2001:db8::/32"]}, SSH6, None),
    ({"services.ssh.port": 2222, "services.ssh.allow": ["10.0.0.0/8"]}, SSH, "port 2222"),
    ({"services.telnet.enabled": False}, SSH, None),
    ({"services.ntp.port": 1123}, SSH, None),
    ({"services.ssh.enabled": False}, TELNET, None),
    ({"services.telnet.enabled": False}, TELNET, "telnet would be disabled"),
    ({"services.telnet.port": 2323}, TELNET, "telnet would move from port 23 to port 2323"),
    ({"services.telnet.allow": ["10.0.0.0/8"]}, TELNET, "telnet would no longer allow"),
    ({"services.ssh.enabled": False}, CONSOLE, None),
    ({"services.telnet.enabled": False, "services.ssh.allow": ["10.0.0.0/8"]}, CONSOLE, None),
]


@pytest.mark.parametrize(("change", "origin", "expected"), ROWS)
def test_which_changes_cut_off_which_session(
    change: dict[str, Any], origin: Origin, expected: str | None
) -> None:
    reasons = cutoff(config({}), config(change), origin)
    if expected is None:
        assert reasons == []
    else:
        assert any(expected in reason for reason in reasons), reasons


def test_every_reason_is_given() -> None:
    change = {"services.ssh.port": 2222, "services.ssh.allow": ["10.0.0.0/8"]}
    assert len(cutoff(config({}), config(change), SSH)) == 2


def test_a_session_the_old_config_already_refuses_is_not_blamed_on_the_change() -> None:
    """A hand-edited file and SIGHUP may already have shut the session's way in: a later,
    unrelated commit is not what cuts it off."""
    old = config({"services.ssh.allow": ["10.0.0.0/8"]})
    new = config({"services.ssh.allow": ["10.0.0.0/8"], "services.ntp.port": 1123})
    assert cutoff(old, new, SSH) == []
