"""Real NTP clients against the appliance: chronyd with each key type, ntplib, scapy probes
and a flood, on loopback."""

import os
import signal
import socket
import time
from collections.abc import Iterator

import ntplib
import pytest
from scapy.layers.ntp import NTPControl, NTPPrivate

from tests.interop.ntp_appliance import (
    appliance_keys,
    boot_locked,
    chrony_keyfile,
    chronyd_offset,
    ntp_config,
    ntp_status,
)
from tests.scenarios.appliance import Booted
from tests.tools import free_port

RULES = """
workers = 2
[services.ntp.ratelimit]
burst = 8
[[services.ntp.rules]]
network = "127.0.0.66/32"
action = "deny"
[[services.ntp.rules]]
network = "127.0.0.88/32"
[[services.ntp.rules]]
network = "127.0.0.0/8"
ratelimit = false
[[services.ntp.rules]]
network = "::1/128"
ratelimit = false
"""


@pytest.fixture(scope="module", params=["native", "python"])
def appliance(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[Booted, int]]:
    """Every test runs against the C fast path and against the pure-Python workers."""
    port = free_port(socket.SOCK_DGRAM)
    os.environ["TIMESERVER_NTP_FASTPATH"] = "1" if request.param == "native" else "0"
    try:
        booted = boot_locked(tmp_path_factory.mktemp("ntp"), ntp_config(port, RULES))
    finally:
        del os.environ["TIMESERVER_NTP_FASTPATH"]
    if request.param == "native" and ntp_status(booted)["packet_path"] != "native":
        booted.stop()
        if os.environ.get("CI") == "true":
            pytest.fail("the NTP fast path extension is not built")
        pytest.skip("the NTP fast path extension is not built")
    assert ntp_status(booted)["packet_path"] == request.param
    yield booted, port
    booted.stop()


@pytest.mark.parametrize("kind", ["MD5", "SHA1", "AES128CMAC"])
def test_chronyd_authenticated_samples(appliance: tuple[Booted, int], kind: str) -> None:
    booted, port = appliance
    key_id, secret = appliance_keys(booted.data_dir)[kind]
    offset = chronyd_offset(port, chrony_keyfile([(key_id, kind, secret)]), key_id)
    assert offset is not None and abs(offset) < 0.001


def test_chronyd_with_a_wrong_key_gets_no_usable_sample(appliance: tuple[Booted, int]) -> None:
    booted, port = appliance
    key_id, _ = appliance_keys(booted.data_dir)["AES128CMAC"]
    wrong = chrony_keyfile([(key_id, "AES128CMAC", "00" * 16)])
    assert chronyd_offset(port, wrong, key_id) is None


@pytest.mark.parametrize("version", [2, 3, 4])
def test_ntplib_versions(appliance: tuple[Booted, int], version: int) -> None:
    _, port = appliance
    response = ntplib.NTPClient().request("127.0.0.1", port=port, version=version, timeout=2)
    assert response.version == version and response.mode == 4
    assert response.stratum == 1 and response.leap == 0
    assert ntplib.ref_id_to_text(response.ref_id) == "71.80.83.0"  # "GPS\0"
    # ntplib stamps in user space: its offset is only good to half the round trip it saw.
    assert abs(response.offset) < response.delay / 2 + 0.0005


def test_ipv6(appliance: tuple[Booted, int]) -> None:
    _, port = appliance
    response = ntplib.NTPClient().request("::1", port=port, version=4, timeout=2)
    assert response.stratum == 1


def probe(port: int, payload: bytes, source: str, wait: float = 1.0) -> list[bytes]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(wait)
        sock.sendto(payload, ("127.0.0.1", port))
        replies = []
        try:
            while True:
                replies.append(sock.recvfrom(4096)[0])
        except TimeoutError:
            return replies


def test_scapy_mode_7_and_mode_6_from_a_denied_address_get_nothing(
    appliance: tuple[Booted, int],
) -> None:
    _, port = appliance
    mon_getlist = bytes(NTPPrivate(mode=7, implementation=3, request_code=42))
    readvar = bytes(NTPControl(op_code=2, sequence=1))
    assert probe(port, mon_getlist, "127.0.0.66") == []
    assert probe(port, readvar, "127.0.0.66") == []
    assert probe(port, mon_getlist, "127.0.0.1") == []  # mode 7 is never answered
    status = ntp_status(appliance[0])
    assert status["mode7"] >= 1 and status["denied"] >= 2


def test_flood_gets_a_kod_a_second_and_drops_while_another_client_is_served(
    appliance: tuple[Booted, int],
) -> None:
    _, port = appliance
    request = bytes([0x23]) + b"\0" * 39 + b"floodtx!"
    answers: list[bytes] = []
    served_other = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
        flood.bind(("127.0.0.88", 0))
        flood.settimeout(0.002)
        started = time.monotonic()
        deadline = started + 3
        for n in range(600):
            if time.monotonic() > deadline:
                break
            flood.sendto(request, ("127.0.0.1", port))
            try:
                answers.append(flood.recvfrom(4096)[0])
            except TimeoutError:
                pass
            if n % 100 == 0:
                other = ntplib.NTPClient().request("127.0.0.1", port=port, version=4, timeout=2)
                served_other += other.stratum == 1
    seconds = time.monotonic() - started
    kods = [a for a in answers if a[12:16] == b"RATE" and a[1] == 0 and a[0] >> 6 == 3]
    normal = [a for a in answers if a[12:16] == b"GPS\0"]
    assert 1 <= len(kods) <= seconds + 2, "one KoD per second at most: the flood is not reflected"
    assert len(normal) < 300, "the flood was not limited"
    assert served_other == 6


def test_two_workers_share_the_port(appliance: tuple[Booted, int]) -> None:
    _, port = appliance
    for _ in range(40):  # new source ports spread over the workers (SO_REUSEPORT hashing)
        ntplib.NTPClient().request("127.0.0.1", port=port, version=4, timeout=2)
    time.sleep(0.3)  # counters reach the appliance with the workers' housekeeping
    status = ntp_status(appliance[0])
    assert status["workers"] == 2
    assert all(served > 0 for served in status["served_per_worker"])  # type: ignore[attr-defined]
    if status["packet_path"] == "native":  # each worker's C table, added up for status
        table = status["client_table"]
        assert table["capacity"] == 2 * 100_000 and 1 <= table["longest_chain"] <= table["clients"]  # type: ignore[index]


def test_a_crashed_worker_is_restarted_and_time_is_served_again(
    appliance: tuple[Booted, int],
) -> None:
    booted, port = appliance
    before = ntp_status(booted)
    os.kill(before["worker_pids"][0], signal.SIGKILL)  # type: ignore[index]
    crash = booted.wait_event("ntp.worker_crashed")
    assert crash["message"].startswith("NTP worker 0 ")  # type: ignore[union-attr]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            response = ntplib.NTPClient().request("127.0.0.1", port=port, version=4, timeout=1)
            if response.stratum == 1:
                break
        except ntplib.NTPException:
            time.sleep(0.2)
    else:
        raise AssertionError("no time after the worker crash")
    assert ntp_status(booted)["worker_pids"] != before["worker_pids"]


def test_recent_clients_are_listed(appliance: tuple[Booted, int]) -> None:
    booted, port = appliance
    ntplib.NTPClient().request("127.0.0.1", port=port, version=4, timeout=2)
    # Workers publish their recent clients at housekeeping, ten times a second.
    deadline = time.monotonic() + 5
    while True:
        clients = ntp_status(booted)["clients"]
        if any(entry[0] == "127.0.0.1" and entry[1] >= 1 for entry in clients):
            break
        assert time.monotonic() < deadline, clients
        time.sleep(0.2)


def header(port: int) -> tuple[int, int, bytes] | None:
    """LI, stratum and refid of the answer to one plain request; None if none came."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(bytes([0x23]) + bytes(47), ("127.0.0.1", port))
        try:
            reply = sock.recv(2048)
        except TimeoutError:
            return None
    return reply[0] >> 6, reply[1], reply[12:16]


def poll(port: int, wanted: tuple[int, int, bytes], seconds: float) -> list[tuple[float, object]]:
    """Every answer until the wanted one, each with when it came (time.monotonic)."""
    seen: list[tuple[float, object]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (not seen or seen[-1][1] != wanted):
        seen.append((time.monotonic(), header(port)))
        time.sleep(0.05)
    return seen


SERVING, STALE = (0, 1, b"GPS\0"), (3, 0, b"STAL")  # stratum 16 goes out as 0 (RFC 5905)


def test_a_stopped_appliance_makes_the_workers_answer_unsynchronised(
    appliance: tuple[Booted, int],
) -> None:
    """The workers outlive a stuck appliance (SIGSTOP): once what it published is 2 s old,
    they answer LI 3 instead of time nobody vouches for, and serve again after SIGCONT."""
    booted, port = appliance
    assert header(port) == SERVING
    stopped = time.monotonic()
    os.kill(booted.process.pid, signal.SIGSTOP)
    try:
        seen = poll(port, STALE, 8.0)
    finally:
        os.kill(booted.process.pid, signal.SIGCONT)
    assert seen[0][1] == SERVING, "the snapshot in hand is served while it is fresh"
    assert seen[-1][1] == STALE, f"still not stale 8 s after the stop: {seen[-3:]}"
    # The last snapshot was published before the stop, so it is stale 2 s after the stop at
    # the latest; the rest is the margin for a loaded machine.
    assert seen[-1][0] - stopped < 3.0 + 1.0
    back = poll(port, SERVING, 10.0)
    assert back[-1][1] == SERVING, f"no time after SIGCONT: {back[-3:]}"
    assert ntp_status(booted)["served_stale"] >= 1
