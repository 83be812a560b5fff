"""The bench's load generator (tests/bench/ntpload.c) checks the MAC of every signed reply
it counts: against a server that signs some replies wrongly, leaves some unsigned and
answers the rest well, only the good ones count as replies, the others as bad MACs."""

from __future__ import annotations

import json
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.ntp.keys import NtpKey, parse_keys
from tests.bench.run import build, pool_file

KEY_LINES = {"MD5": "7 MD5 HEX:00112233445566778899aabbccddeeff",
             "AES128CMAC": "9 AES128CMAC HEX:000102030405060708090a0b0c0d0e0f"}  # fmt: skip


def key_of(kind: str) -> NtpKey:
    return next(iter(parse_keys(KEY_LINES[kind], "test").values()))


def reply_to(request: bytes, key: NtpKey, count: int) -> bytes:
    """Every third reply has a flipped MAC bit, every third none, the rest are good."""
    header = bytearray(48)
    header[0], header[1] = 0x24, 1
    header[24:32] = request[40:48]
    signed = bytes(header) + struct.pack("!I", key.key_id) + key.mac(bytes(header))
    if count % 3 == 1:
        return signed[:-1] + bytes([signed[-1] ^ 1])
    return bytes(header) if count % 3 == 2 else signed


@pytest.fixture
def signing_server() -> Iterator[tuple[int, dict[str, object]]]:
    """A server answering with the key in `state["key"]`, until `state["stop"]`."""
    state: dict[str, object] = {"stop": False, "answered": 0}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)

    def run() -> None:
        while not state["stop"]:
            try:
                data, peer = sock.recvfrom(2048)
            except TimeoutError:
                continue
            count = int(state["answered"])  # type: ignore[call-overload]
            sock.sendto(reply_to(data, state["key"], count), peer)  # type: ignore[arg-type]
            state["answered"] = count + 1

    thread = threading.Thread(target=run)
    thread.start()
    yield sock.getsockname()[1], state
    state["stop"] = True
    thread.join()
    sock.close()


@pytest.mark.parametrize("kind", ["MD5", "AES128CMAC"])
def test_replies_with_a_bad_or_missing_mac_are_not_counted(
    tmp_path: Path, signing_server: tuple[int, dict[str, object]], kind: str
) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is missing: the bench's load generator is C")
    port, state = signing_server
    key = key_of(kind)
    state["key"] = key
    loader = build(tmp_path, "ntpload", "-lcrypto")
    pool, size = pool_file(tmp_path, kind, key)
    out = subprocess.run(
        [str(loader), "127.0.0.1", str(port), "0.5", "1", str(pool), str(size),
         str(key.key_id), kind, key.secret.hex()],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    figures = json.loads(out)
    assert figures["replies"] > 10, figures
    # One request in flight: each reply in turn, good, bad MAC, unsigned, good, ...
    assert abs(figures["bad_mac"] - 2 * figures["replies"]) <= 3, figures
