"""Every appliance a test starts is stopped after it, even when an assertion fails first."""

from collections.abc import Iterator

import pytest

from tests.scenarios.appliance import RUNNING


@pytest.fixture(autouse=True)
def stop_leftover_appliances() -> Iterator[None]:
    # Appliances of wider-scoped fixtures were started before this runs, and are theirs.
    before = set(RUNNING)
    yield
    for booted in RUNNING - before:
        if booted.process.poll() is None:
            booted.stop(seconds=10)
        RUNNING.discard(booted)
