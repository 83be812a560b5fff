"""A leap second rehearsed on the simulated receiver: `[gps.sim] leap_at` half a minute
ahead, and the appliance announces it, inserts it and serves the world's true UTC through it."""

import datetime
import socket
import time
from pathlib import Path

from tests.interop.ntp_appliance import boot_locked, ntp_config, status_tree
from tests.tools import free_port

LEAD_S = 40
SECOND = 1_000_000_000


def li_of_reply(port: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(bytes([0x23]) + bytes(47), ("127.0.0.1", port))
        return sock.recv(2048)[0] >> 6


def test_a_rehearsed_leap_is_announced_inserted_and_served_truly(tmp_path: Path) -> None:
    at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    at += datetime.timedelta(seconds=LEAD_S)
    port = free_port(socket.SOCK_DGRAM)
    config = ntp_config(port) + (
        f'[gps.sim]\nscenario = "leap_insert"\nleap_at = "{at:%Y-%m-%dT%H:%M:%SZ}"\n'
    )
    booted = boot_locked(tmp_path, config)
    try:
        scheduled = booted.wait_event("timing.leap_scheduled")
        last = at - datetime.timedelta(seconds=1)
        assert scheduled["message"] == (
            f"leap second to be inserted after {last:%Y-%m-%d %H:%M:%S} UTC (GPS)"
        )
        assert li_of_reply(port) == 1  # announced to clients
        assert status_tree(booted)["timing"]["leap_indicator"] == 1
        wait = at.timestamp() - time.time() + 3
        assert wait > 0, "the appliance took too long to lock for this rehearsal"
        time.sleep(wait)
        before = time.time_ns()
        tree = status_tree(booted)
        after = time.time_ns()
        # The world's UTC is a second behind its true time now (the host's, plus offset).
        world_host = tree["sim"]["true_utc_ns"] + SECOND - tree["sim"]["offset_ns"]
        assert before <= world_host <= after, "no leap in the simulated world"
        assert tree["timing"]["sync_state"] == "LOCKED"
        assert tree["timing"]["leap_indicator"] == 0 and li_of_reply(port) == 0
        # And served time follows it through the leap.
        assert abs(tree["sim"]["true_error_ns"]) <= tree["timing"]["est_error_ns"], tree["sim"]
        assert abs(tree["sim"]["true_error_ns"]) < 100_000
        kinds = [event["kind"] for event in booted.events()]
        assert "timing.step" not in kinds[kinds.index("timing.locked") :]
    finally:
        booted.stop()
