"""The appliance's life under pressure: config changes at the same moment, NTP workers that
die, and a second appliance on the same port or data directory (issue 12, items 6-8)."""

import asyncio
import os
import signal
import socket
import struct
import threading
import time
from pathlib import Path

import asyncssh
import pytest

from tests.interop.ntp_appliance import ntp_status
from tests.scenarios.appliance import Booted, timeserver, write_config
from tests.tools import free_port

PASSWORD = "correct horse battery"


def ntp_worker_pids(booted: Booted) -> list[int]:
    """The appliance's child processes that are NTP workers, orphans of old runners too."""
    pid = booted.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"services.ntp.worker" in command:
            workers.append(int(child))
    return workers


def answered(port: int, count: int, wait: float = 0.3) -> int:
    """How many of `count` plain requests, each from its own source port, got a reply."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
            sock.sendto(bytes([0x23]) + bytes(47), ("127.0.0.1", port))
        replies = 0
        deadline = time.monotonic() + wait
        for sock in sockets:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                sock.recv(2048)
                replies += 1
            except TimeoutError:
                pass
        return replies
    finally:
        for sock in sockets:
            sock.close()


def boot_ntp(directory: Path, ntp_port: int, ssh_port: int | None = None) -> Booted:
    ssh = f'[services.ssh]\nport = {ssh_port}\nbind = ["127.0.0.1"]\n' if ssh_port else ""
    directory.mkdir(exist_ok=True)
    # These tests count replies from one address: a burst that the rate limit lets through.
    limit = "[services.ntp.ratelimit]\nburst = 1000\n"
    text = f'[services.ntp]\nport = {ntp_port}\nbind = ["127.0.0.1"]\nworkers = 2\n{limit}{ssh}'
    booted = Booted(directory / "data", write_config(directory / "config.toml", text), PASSWORD)
    booted.wait_event("appliance.ready", seconds=30)
    return booted


async def admin_commands(port: int, commands: list[str], hangup: Booted | None = None) -> list[str]:
    """Each command in its own SSH session, all at once, on one connection; with `hangup`,
    that appliance gets SIGHUPs while they run."""
    async with asyncssh.connect(
        "127.0.0.1", port, username="admin", password=PASSWORD, known_hosts=None
    ) as connection:
        running = asyncio.gather(*(connection.run(command) for command in commands))
        for _ in range(3 if hangup else 0):
            await asyncio.sleep(0.05)
            hangup.signal(signal.SIGHUP)  # type: ignore[union-attr]
        results = await asyncio.wait_for(running, 60)
    return [str(result.stdout) for result in results]


def test_concurrent_config_changes_leave_one_pool_with_the_last_rules(tmp_path: Path) -> None:
    ntp_port, ssh_port = free_port(socket.SOCK_DGRAM), free_port()
    booted = boot_ntp(tmp_path, ntp_port, ssh_port)
    assert answered(ntp_port, 20) == 20
    adds = [f"ntp rules add 10.{n}.0.0/16; config commit" for n in range(20)]
    replies = asyncio.run(admin_commands(ssh_port, adds, hangup=booted))
    assert all("committed services.ntp.rules" in reply for reply in replies), replies
    last = asyncio.run(admin_commands(ssh_port, ["ntp rules add 127.0.0.1/32 deny; config commit"]))
    assert "21 rules staged" in last[0] and "committed services.ntp.rules" in last[0], last
    # Reloads may still be under way: wait (bounded) for one pool with the last rules.
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        time.sleep(0.5)
        workers = ntp_worker_pids(booted)
        if len(workers) == 2 and ntp_status(booted).get("state") == "running":
            if answered(ntp_port, 50) == 0:
                break
    time.sleep(1.0)
    workers = ntp_worker_pids(booted)
    assert len(workers) == 2, f"NTP workers running: {workers}"
    assert sorted(ntp_status(booted)["worker_pids"]) == sorted(workers)
    assert answered(ntp_port, 200) == 0, "a worker answered a client the last rule denies"
    booted.stop()


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


class ReplyLog:
    """Plain requests every 20 ms, each from its own source port (so that SO_REUSEPORT
    spreads them over the workers), and the kernel's receive time of each reply."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.stamps: list[float] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 60  # bounded even if the test never stops it
        while not self.done.is_set() and time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                sock.bind(("127.0.0.1", 0))
                sock.settimeout(0.1)
                sock.sendto(bytes([0x23]) + bytes(47), ("127.0.0.1", self.port))
                try:
                    _, ancillary, _, _ = sock.recvmsg(2048, 64)
                except TimeoutError:
                    continue
            seconds, nanoseconds = struct.unpack("@qq", ancillary[0][2])
            self.stamps.append(seconds + nanoseconds / 1e9)
            time.sleep(0.02)

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)

    def longest_gap(self, since: float) -> float:
        """The longest time without a reply from `since` (time.time) to the last reply."""
        times = [since, *(stamp for stamp in self.stamps if stamp > since)]
        return max(later - earlier for earlier, later in zip(times, times[1:], strict=False))


def replaced(booted: Booted, pid: int, seconds: float = 15.0) -> list[int]:
    """The worker pids once `pid` is gone and two workers serve again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = list(ntp_status(booted).get("worker_pids", []))
        if pid not in pids and len(ntp_worker_pids(booted)) == 2:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"worker {pid} not replaced: {ntp_status(booted)}")


def test_a_killed_worker_is_replaced_alone_while_the_other_serves(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    booted = boot_ntp(tmp_path, port)
    first, second = ntp_status(booted)["worker_pids"]
    log = ReplyLog(port)
    try:
        time.sleep(1.0)
        killed = time.time()
        os.kill(first, signal.SIGKILL)
        pids = replaced(booted, first)
        assert second in pids, "the healthy worker was stopped too"
        time.sleep(1.0)
        assert log.longest_gap(killed) < 0.6, "NTP went silent after one worker died"
        for _ in range(4):  # the same worker keeps dying: NTP stays up through the backoff
            victim = next(pid for pid in pids if pid != second)
            os.kill(victim, signal.SIGKILL)
            pids = replaced(booted, victim, seconds=30)
            assert second in pids
        assert log.longest_gap(killed) < 0.6
    finally:
        log.stop()
    assert ntp_status(booted)["state"] == "running"
    booted.stop()


def test_a_second_appliance_on_the_same_ntp_port_is_refused_and_named(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    first = boot_ntp(tmp_path / "first", port)
    owners = ntp_status(first)["worker_pids"]
    second = boot_ntp(tmp_path / "second", port)
    status = ntp_status(second)
    assert status["state"] != "running", "the second appliance shares the first one's port"
    assert f"127.0.0.1:{port}/udp" in status["last_error"], status
    assert any(f"pid {pid}" in status["last_error"] for pid in owners), status
    assert answered(port, 40) == 40
    second.stop()
    first.stop()


def test_a_second_appliance_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    first = boot_ntp(tmp_path, free_port(socket.SOCK_DGRAM))
    config = write_config(tmp_path / "other.toml")
    second = Booted(first.data_dir, config, PASSWORD)
    try:
        code = second.process.wait(timeout=30)
    finally:
        second.stop()
    assert code == 2
    assert f"in use by the appliance with pid {first.process.pid}" in second.stderr()
    assert (first.data_dir / "control.sock").exists()
    assert timeserver("status", "--data-dir", str(first.data_dir)).returncode == 0
    first.stop()


def wait_served(booted: Booted, at_least: int, seconds: float = 5.0) -> dict[str, object]:
    """NTP's status once it counts `at_least` served (workers report ten times a second)."""
    deadline = time.monotonic() + seconds
    while True:
        status = ntp_status(booted)
        if int(status.get("served", 0)) >= at_least or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_ntp_stats_count_since_boot_and_clients_are_one_row_each(tmp_path: Path) -> None:
    """`ntp stats` goes on counting through a dead worker and an NTP restart; `ntp clients`
    shows a client once, though its source ports reach both workers."""
    port = free_port(socket.SOCK_DGRAM)
    booted = boot_ntp(tmp_path, port)
    try:
        # 14 source ports (within the rate limit's burst): both workers answer some.
        assert answered(port, 14) == 14
        status = wait_served(booted, 14)
        assert int(status["served"]) == 14 and min(status["served_per_worker"]) > 0
        assert [row[:2] for row in status["clients"]] == [["127.0.0.1", 14]]
        os.kill(status["worker_pids"][0], signal.SIGKILL)
        replaced(booted, status["worker_pids"][0])
        assert int(ntp_status(booted)["served"]) >= 14, "a dead worker's count was lost"
        text = (tmp_path / "config.toml").read_text().replace("workers = 2", "workers = 3")
        (tmp_path / "config.toml").write_text(text)
        booted.signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while ntp_status(booted).get("workers") != 3:
            assert time.monotonic() < deadline, "NTP did not restart with three workers"
            time.sleep(0.1)
        assert answered(port, 10) == 10
        status = wait_served(booted, 24)
        assert int(status["served"]) == 24, "the restart started the count again"
    finally:
        booted.stop()


def answered_from(source: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(0.5)
        sock.sendto(bytes([0x23]) + bytes(47), ("127.0.0.1", port))
        try:
            sock.recv(2048)
        except TimeoutError:
            return False
        return True


@pytest.mark.parametrize("fast_path", ["1", "0"], ids=["native", "python"])
def test_ntp_rules_change_without_a_restart_or_a_missed_reply(
    tmp_path: Path, fast_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new rule reaches both workers between requests: the same processes, no gap in the
    replies; only a change of what the sockets are (the port) restarts the pool."""
    monkeypatch.setenv("TIMESERVER_NTP_FASTPATH", fast_path)
    port = free_port(socket.SOCK_DGRAM)
    booted = boot_ntp(tmp_path, port)
    pids = ntp_worker_pids(booted)
    assert answered_from("127.0.0.66", port)
    log = ReplyLog(port)
    try:
        time.sleep(0.5)
        changed = time.time()
        config = tmp_path / "config.toml"
        rule = '[[services.ntp.rules]]\nnetwork = "127.0.0.66/32"\naction = "deny"\n'
        config.write_text(config.read_text() + rule)
        booted.signal(signal.SIGHUP)
        reloaded = booted.wait_event("config.reloaded")
        assert reloaded["message"] == (
            "config reloaded; restarted: none; changed without a restart: ntp"
        )
        deadline = time.monotonic() + 5
        while answered_from("127.0.0.66", port):
            assert time.monotonic() < deadline, "the new deny rule never reached the workers"
        time.sleep(0.5)
        assert log.longest_gap(changed) < 0.3, "NTP missed replies while its rules changed"
    finally:
        log.stop()
    assert ntp_worker_pids(booted) == pids, "the workers were restarted"
    assert sorted(ntp_status(booted)["worker_pids"]) == sorted(pids)
    other = free_port(socket.SOCK_DGRAM)
    config.write_text(config.read_text().replace(f"port = {port}", f"port = {other}"))
    booted.signal(signal.SIGHUP)
    assert booted.wait_event("config.reloaded", count=2)["message"].startswith(
        "config reloaded; restarted: ntp"
    )
    booted.stop()
