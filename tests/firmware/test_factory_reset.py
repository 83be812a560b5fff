"""A factory reset erases config, accounts and keys, keeps everything else, and says so."""

from pathlib import Path

from firmware.base.events import Event, EventBus
from firmware.factory_reset import erase_for_reset
from hal.clock import HostClock


def test_reset_erases_what_makes_the_appliance_someones_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    """A pending commit confirmed goes too: its rollback would bring the old config back."""
    kept_and_erased = ("config.toml", "users.json", "ssh_host_ed25519_key", "ntp.keys",
                       "rollback.toml", "events.log")  # fmt: skip
    for name in kept_and_erased:
        (tmp_path / name).write_text("x")
    bus = EventBus(HostClock())
    seen: list[Event] = []
    bus.subscribe(seen.append)
    erase_for_reset(tmp_path, bus)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["events.log"]
    assert [(event.kind, event.security) for event in seen] == [("appliance.factory_reset", True)]
