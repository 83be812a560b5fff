"""`timeserver status --health`, the container's HEALTHCHECK: healthy only when NTP is
serving and the served time is LOCKED or in HOLDOVER."""

import pytest

from firmware.cli import health


def tree(ntp: str | None, sync_state: str | None) -> dict[str, dict[str, object]]:
    status: dict[str, dict[str, object]] = {}
    if ntp is not None:
        status["ntp"] = {"state": ntp}
    if sync_state is not None:
        status["timing"] = {"state": "running", "sync_state": sync_state}
    return status


@pytest.mark.parametrize(
    ("ntp", "sync_state", "healthy", "why"),
    [
        ("running", "LOCKED", True, "healthy: NTP serving, LOCKED"),
        ("running", "HOLDOVER", True, "healthy: NTP serving, HOLDOVER"),
        ("running", "FREERUN", False, "sync state FREERUN, not LOCKED or HOLDOVER"),
        ("running", "UNSYNC", False, "sync state UNSYNC"),
        ("running", None, False, "sync state unknown"),
        ("failed", "LOCKED", False, "NTP is not serving (service failed)"),
        ("starting", "HOLDOVER", False, "NTP is not serving (service starting)"),
        (None, "LOCKED", False, "NTP is not serving (service absent)"),
    ],
)
def test_health(ntp: str | None, sync_state: str | None, healthy: bool, why: str) -> None:
    verdict, text = health(tree(ntp, sync_state))
    assert verdict is healthy
    assert why in text
