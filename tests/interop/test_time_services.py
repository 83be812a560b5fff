"""rdate against the time service (TCP and UDP); daytime over TCP and UDP; the allow-list."""

import datetime
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenarios.appliance import Booted, write_config
from tests.tools import free_port, require


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    directory: Path = tmp_path_factory.mktemp("oldtime")
    daytime_port, time_port = free_port(), free_port()
    config = write_config(
        directory / "config.toml",
        f'[services.daytime]\nenabled = true\nport = {daytime_port}\nbind = ["127.0.0.1"]\n'
        'allow = ["127.0.0.0/25"]\n'
        f'[services.time]\nenabled = true\nport = {time_port}\nbind = ["127.0.0.1"]\n',
    )
    booted = Booted(directory / "data", config)
    booted.wait_event("appliance.ready")
    yield daytime_port, time_port
    booted.stop()


@pytest.mark.parametrize("transport", ["-u", None])
def test_rdate_tcp_and_udp(services: tuple[int, int], transport: str | None) -> None:
    rdate = require("rdate")
    _, time_port = services
    args = [rdate, "-p", "-o", str(time_port)] + ([transport] if transport else []) + ["127.0.0.1"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    text = out.stdout.split("]", 1)[-1].strip().replace(" UTC", "")
    shown = datetime.datetime.strptime(text, "%a %b %d %H:%M:%S %Y")
    assert abs(shown.replace(tzinfo=datetime.UTC).timestamp() - time.time()) < 3


def test_daytime_tcp_and_udp(services: tuple[int, int]) -> None:
    daytime_port, _ = services
    with socket.create_connection(("127.0.0.1", daytime_port), timeout=3) as tcp:
        text = tcp.recv(100)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(3)
        udp.sendto(b"", ("127.0.0.1", daytime_port))
        datagram = udp.recv(100)
    for answer in (text, datagram):
        stamp = datetime.datetime.strptime(answer.decode().strip(), "%a %b %d %H:%M:%S %Y UTC")
        assert abs(stamp.replace(tzinfo=datetime.UTC).timestamp() - time.time()) < 3


def test_allow_list_and_udp_rate_limit(services: tuple[int, int]) -> None:
    daytime_port, _ = services
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outside:
        outside.bind(("127.0.0.200", 0))
        outside.settimeout(0.5)
        outside.sendto(b"x", ("127.0.0.1", daytime_port))
        with pytest.raises(TimeoutError):
            outside.recv(100)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
        flood.bind(("127.0.0.5", 0))
        for _ in range(20):  # all at once: only the burst of 4 fits in the bucket
            flood.sendto(b"x", ("127.0.0.1", daytime_port))
        flood.settimeout(0.3)
        answered = 0
        try:
            while True:
                flood.recv(100)
                answered += 1
        except TimeoutError:
            pass
    assert 4 <= answered <= 5
