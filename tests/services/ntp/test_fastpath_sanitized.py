"""The fast path built with AddressSanitizer and UBSan, fuzzed through real sockets.

The extension is compiled once into a temporary directory with `-fsanitize=address,undefined`
and served by tests/services/ntp/sanitized_server.py in a child Python with libasan
preloaded. Hypothesis (derandomized) sends it random datagrams of the sizes that sit on the
parser's edges and mutated valid requests (plain, MD5, SHA1, AES-CMAC, mode 6, NTPv1) from
sources that its rules treat differently. Any sanitizer report, or the child dying, fails.
FASTPATH_FUZZ_EXAMPLES sets how many datagrams (5000 by default, about 20 s here); there is
no shrinking, as the server's state is what every datagram before made it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.services.ntp.captures import (
    CHRONY_AES,
    CHRONY_KEYS,
    CHRONY_MD5,
    CHRONY_PLAIN,
    CHRONY_SHA1,
    NTPLIB_V3,
)

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "services" / "ntp" / "_fastpath.c"
SERVER = Path(__file__).with_name("sanitized_server.py")
EXAMPLES = int(os.environ.get("FASTPATH_FUZZ_EXAMPLES", "5000"))
PING_EVERY = 250
REPORTS = ("runtime error", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer")
SIZES = (0, 1, 12, 47, 48, 49, 52, 68, 72, 76, 2047, 2048, 2049, 4096)
READVAR = bytes.fromhex("160200010000000000000000")  # mode 6, a 12-byte readvar
NTPV1 = bytes([0x08]) + CHRONY_PLAIN[1:]
VALID = (CHRONY_PLAIN, CHRONY_MD5, CHRONY_SHA1, CHRONY_AES, NTPLIB_V3, READVAR, NTPV1)
# 127.0.0.3 is denied, .4 must authenticate, .5 gets silence over the limit, .1 no limit;
# with the others, more sources than the server's client table holds (16): evictions.
SOURCES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "::1",
           *(f"127.0.1.{host}" for host in range(1, 25)))  # fmt: skip


def sanitizer_runtime() -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is missing: the sanitized build needs it")
    found = subprocess.run(
        [gcc, "-print-file-name=libasan.so"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not os.path.isabs(found) or not os.path.exists(found):
        pytest.skip("libasan is missing (gcc's AddressSanitizer runtime, Debian libasan8)")
    return Path(found)


@dataclass
class Sanitized:
    process: subprocess.Popen[str]
    ports: dict[int, int]
    stderr: Path

    def report(self) -> str:
        return self.stderr.read_text(errors="replace")


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sanitized]:
    libasan = sanitizer_runtime()
    work = tmp_path_factory.mktemp("asan")
    extension = work / f"_fastpath{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-g", "-O1", "-fno-omit-frame-pointer",
         "-fsanitize=address,undefined", "-Wall", f"-I{sysconfig.get_paths()['include']}",
         str(SOURCE), "-o", str(extension), "-lcrypto"],
        check=True, timeout=120,
    )  # fmt: skip
    keys = work / "ntp.keys"
    keys.write_text(CHRONY_KEYS)
    stderr = work / "stderr"
    env = dict(
        os.environ,
        LD_PRELOAD=str(libasan),
        ASAN_OPTIONS="detect_leaks=0",  # Python itself leaks at exit
        UBSAN_OPTIONS="print_stacktrace=1",
        PYTHONPATH=str(ROOT),
    )
    with stderr.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, str(SERVER), str(extension), str(keys)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True, env=env,
        )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().split()
    made = Sanitized(process, {}, stderr)
    if line[:1] != ["ready"]:
        process.kill()
        pytest.fail(f"the sanitized server did not start: {made.report()[-4000:]}")
    made.ports = {socket.AF_INET: int(line[1]), socket.AF_INET6: int(line[2])}
    yield made
    if process.poll() is None:
        process.kill()
        process.wait()


def mutated() -> st.SearchStrategy[bytes]:
    """A valid request with bytes changed, cut short or lengthened."""
    return st.builds(
        mutate,
        st.sampled_from(VALID),
        st.lists(st.tuples(st.integers(0, 75), st.integers(0, 255)), max_size=4),
        st.integers(0, 80),
        st.binary(max_size=30),
    )


def mutate(base: bytes, changes: list[tuple[int, int]], keep: int, tail: bytes) -> bytes:
    data = bytearray(base)
    for offset, value in changes:
        if offset < len(data):
            data[offset] = value
    return bytes(data[:keep]) + tail if keep < len(data) else bytes(data) + tail


DATAGRAMS = st.one_of(
    mutated(),
    st.sampled_from(SIZES).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    st.binary(max_size=300),
    st.sampled_from(VALID),
)


class Sender:
    """One socket per source address, and a clean one that checks the server still answers."""

    def __init__(self, server: Sanitized) -> None:
        self.server = server
        self.sockets: dict[str, socket.socket] = {}
        for source in SOURCES:
            family = socket.AF_INET6 if ":" in source else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.bind((source, 0))
            sock.setblocking(False)
            self.sockets[source] = sock
        self.sent = 0

    def send(self, source: str, data: bytes) -> None:
        sock = self.sockets[source]
        target = "::1" if sock.family == socket.AF_INET6 else "127.0.0.1"
        sock.sendto(data, (target, self.server.ports[sock.family]))
        self.sent += 1
        if self.sent % PING_EVERY == 0:
            self.ping()

    def ping(self) -> None:
        """A plain request from a source with no limit; also paces the fuzzing. Retried: for
        a while the server hands mode 3 to Python (a leap near), which it leaves unanswered."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.settimeout(0.5)
            for _ in range(20):
                probe.sendto(CHRONY_PLAIN, ("127.0.0.1", self.server.ports[socket.AF_INET]))
                try:
                    if len(probe.recv(2048)) == 48:
                        return
                except TimeoutError:
                    continue
        pytest.fail(f"the sanitized server stopped answering: {self.died()}")

    def died(self) -> str:
        code = self.server.process.poll()
        return f"exit {code}: {self.server.report()[-4000:]}"

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()


def test_fuzzed_datagrams_raise_no_sanitizer_report(sanitized: Sanitized) -> None:
    sender = Sender(sanitized)

    @settings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(source=st.sampled_from(SOURCES), data=DATAGRAMS)
    def one(source: str, data: bytes) -> None:
        sender.send(source, data)

    try:
        for size in SIZES:  # each edge once, whatever hypothesis draws
            for source in SOURCES:
                sender.send(source, bytes(CHRONY_MD5[:size]).ljust(size, b"\xa5"))
        one()
        sender.ping()
    finally:
        sender.close()
    assert sanitized.process.stdin is not None and sanitized.process.stdout is not None
    sanitized.process.stdin.close()
    assert sanitized.process.wait(timeout=30) == 0, sender.died()
    report = sanitized.report()
    assert not [word for word in REPORTS if word in report], report[-4000:]
    counters = json.loads(sanitized.process.stdout.read())
    # The fuzzing reached the paths it is for: every kind of answer and refusal.
    for name in ("served", "authenticated", "bad_mac", "denied", "rate_limited", "malformed"):
        assert counters[name] > 0, (name, counters)
