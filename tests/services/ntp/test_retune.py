"""Which NTP settings a running pool takes without a restart, and how they reach it."""

from collections.abc import Iterator

import pytest

from firmware.base.config.schema import NtpSection
from firmware.base.events import EventBus
from hal.clock import HostClock
from services.ntp.service import NtpService
from services.ntp.shared_state import SETTINGS_SLOT, SharedState


@pytest.fixture
def shared() -> Iterator[SharedState]:
    made = SharedState.create()
    yield made
    made.close(remove=True)


def test_settings_reach_a_reader_once_per_change(shared: SharedState) -> None:
    assert shared.settings(0) is None
    assert shared.write_settings({"auth_failure": "drop"})
    generation, settings = shared.settings(0) or (0, {})
    assert settings == {"auth_failure": "drop"} and generation % 2 == 0
    assert shared.settings(generation) is None  # nothing new since
    assert not shared.write_settings({"rules": ["x" * SETTINGS_SLOT]})  # too big: restart
    assert shared.settings(generation) is None


def service(config: NtpSection, shared: SharedState) -> NtpService:
    made = NtpService(config, None, None, HostClock().now_ns, int, EventBus(HostClock()))  # type: ignore[arg-type]
    made.shared = shared
    return made


BASE = {"port": 11123}


@pytest.mark.parametrize(
    ("change", "live"),
    [
        ({"rules": [{"network": "192.0.2.0/24", "action": "deny"}]}, True),
        ({"allow": ["192.0.2.0/24"]}, True),
        ({"ratelimit": {"interval": 2.0, "burst": 4}}, True),
        ({"auth_failure": "drop"}, True),
        ({"trusted_keys": [3]}, True),
        ({"ratelimit": {"clients": 500}}, False),  # the client table's size
        ({"port": 11124}, False),
        ({"bind": ["127.0.0.1"]}, False),
        ({"workers": 3}, False),
        ({"keys_file": "/tmp/other.keys"}, False),
    ],
)
def test_what_changes_without_a_restart(
    shared: SharedState, change: dict[str, object], live: bool
) -> None:
    ntp = service(NtpSection.model_validate(BASE), shared)
    new = NtpSection.model_validate({**BASE, **change})
    assert ntp.retune(new) is live
    assert (ntp.config == new) is live
    assert (shared.settings(0) is not None) is live
