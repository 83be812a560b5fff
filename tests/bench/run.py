"""`make bench`: the appliance's NTP server beside chronyd, measured in the same run.

Prints replies per second and round-trip p50/p99 under load (plain, MD5 and AES-CMAC
requests, one worker), server hold time (transmit minus receive) at idle, and the offset a
real chronyd client measures against each server on loopback. Then, with an offset injected
into the simulated world's true UTC, what chronyd measures against the appliance and how
far served time is from true UTC at that moment; and the timing figures of
tests/bench/timing.py: re-lock time per oscillator and how tight the error bound is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.ntp.keys import parse_keys  # noqa: E402
from tests.bench.timing import timing_figures  # noqa: E402
from tests.interop.ntp_appliance import (  # noqa: E402
    appliance_keys,
    chrony_keyfile,
    ntp_status,
    status_tree,
)
from tests.scenarios.appliance import Booted, write_config  # noqa: E402
from tests.tools import free_port  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WINDOW = int(os.environ.get("BENCH_WINDOW", "64"))
POOL = 4096
WORLD_OFFSET_NS = 2_500_000


def build_loader(work: Path) -> Path:
    binary = work / "ntpload"
    subprocess.run(
        ["gcc", "-O2", "-o", str(binary), str(Path(__file__).with_name("ntpload.c"))], check=True
    )
    return binary


def pool_file(work: Path, name: str, key_line: str | None) -> tuple[Path, int]:
    key = next(iter(parse_keys(key_line, "bench").values())) if key_line else None
    packets = []
    for index in range(POOL):
        header = bytearray(48)
        header[0] = 0x23
        struct.pack_into("!II", header, 40, 0xEEB20000, index)
        packet = bytes(header)
        if key is not None:
            packet += struct.pack("!I", key.key_id) + key.mac(packet)
        packets.append(packet)
    path = work / f"{name}.pool"
    path.write_bytes(b"".join(packets))
    return path, len(packets[0])


def load(loader: Path, port: int, pool: Path, size: int) -> dict[str, float]:
    out = subprocess.run(
        [str(loader), "127.0.0.1", str(port), str(SECONDS), str(WINDOW), str(pool), str(size)],
        capture_output=True, text=True, check=True, timeout=SECONDS + 30,
    ).stdout  # fmt: skip
    return json.loads(out)  # type: ignore[no-any-return]


def hold_times(port: int, count: int = 2000) -> tuple[float, float]:
    """Transmit minus receive timestamp of replies at idle, microseconds (p50, p99)."""
    holds = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        for index in range(count):
            request = bytearray(48)
            request[0] = 0x23
            struct.pack_into("!II", request, 40, 0xEEB30000, index)
            sock.sendto(bytes(request), ("127.0.0.1", port))
            reply = sock.recv(512)
            receive, transmit = struct.unpack_from("!QQ", reply, 32)
            holds.append((transmit - receive) * 1e6 / 2**32)
            time.sleep(0.0005)
    holds.sort()
    return holds[len(holds) // 2], holds[len(holds) * 99 // 100]


def chronyd_offset(port: int, keyfile: Path) -> float | None:
    result = subprocess.run(
        ["chronyd", "-Q", "-t", "20", f"keyfile {keyfile}",
         f"server 127.0.0.1 port {port} iburst minpoll -4 maxpoll -4 maxsamples 16"],
        capture_output=True, text=True, timeout=40,
    )  # fmt: skip
    found = re.search(r"wrong by (-?[0-9.]+) seconds", result.stdout + result.stderr)
    return float(found.group(1)) if found else None


def start_chronyd(work: Path, port: int, keyfile: Path) -> subprocess.Popen[bytes]:
    conf = work / "chronyd.conf"
    conf.write_text(
        f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 1\ncmdport 0\n"
        f"keyfile {keyfile}\npidfile {work}/chronyd.pid\n"
    )
    process = subprocess.Popen(
        ["chronyd", "-d", "-x", "-f", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return process


def boot(work: Path, name: str, port: int, extra: str = "") -> Booted:
    config = write_config(
        work / f"{name}.toml",
        f'[timing]\nlock_samples = 3\n[services.ntp]\nport = {port}\nbind = ["127.0.0.1"]\n'
        'workers = 1\n[[services.ntp.rules]]\nnetwork = "127.0.0.0/8"\nratelimit = false\n' + extra,
    )
    return Booted(work / name, config)


def main() -> int:
    for tool in ("chronyd", "gcc"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            print(f"bench: {tool} is missing (make test installs chrony)", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    os.chmod(work, 0o755)
    loader = build_loader(work)
    ours_port, chrony_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    booted = boot(work, "data", ours_port)
    try:
        booted.wait_event("timing.locked", seconds=60)
        keys = appliance_keys(work / "data")
        keyfile = chrony_keyfile([(i, kind, secret) for kind, (i, secret) in keys.items()])
        chronyd = start_chronyd(work, chrony_port, keyfile)
        try:
            rows = measure(work, loader, ours_port, chrony_port, keys, keyfile)
            rows += f"\ntimeserver packet path: {ntp_status(booted)['packet_path']}"
        finally:
            chronyd.send_signal(signal.SIGTERM)
            chronyd.wait(timeout=10)
    finally:
        booted.stop(seconds=10)
    rows += "\n" + measure_world(work, keyfile)
    print(rows)
    print(timing_figures())
    return 0


def measure_world(work: Path, keyfile: Path) -> str:
    """chronyd against an appliance whose simulated world runs 2.5 ms ahead of the host."""
    port = free_port(socket.SOCK_DGRAM)
    booted = boot(work, "world", port, f"[gps.sim]\nclock_offset_ns = {WORLD_OFFSET_NS}\n")
    try:
        booted.wait_event("timing.locked", seconds=60)
        measured = chronyd_offset(port, keyfile)
        tree = status_tree(booted)
    finally:
        booted.stop(seconds=10)
    sim, timing = tree["sim"], tree["timing"]
    return "\n".join(
        [
            f"{'world offset injected (us)':28}{WORLD_OFFSET_NS / 1e3:>+14.1f}",
            f"{'  offset seen by chronyd (us)':28}{_us(measured):>14}",
            f"{'  served - true UTC (ns)':28}{sim['true_error_ns']:>14}"
            f"  (estimated error {timing['est_error_ns']} ns, {timing['sync_state']})",
        ]
    )


def measure(work: Path, loader: Path, ours: int, chrony: int,
            keys: dict[str, tuple[int, str]], keyfile: Path) -> str:  # fmt: skip
    lines = [
        f"NTP server benchmark, one worker, loopback, {SECONDS:g} s per run, "
        f"{WINDOW} requests in flight",
        f"{'':28}{'timeserver':>14}{'chronyd':>14}{'ratio':>9}",
    ]
    for name, kind in (("plain", None), ("MD5", "MD5"), ("AES-CMAC", "AES128CMAC")):
        key_line = None
        if kind is not None:
            key_id, secret = keys[kind]
            key_line = f"{key_id} {kind} {secret}"
        pool, size = pool_file(work, name, key_line)
        ours_load = load(loader, ours, pool, size)
        chrony_load = load(loader, chrony, pool, size)
        ratio = ours_load["replies_per_s"] / max(1.0, chrony_load["replies_per_s"])
        lines.append(
            f"{name + ' replies/s':28}{ours_load['replies_per_s']:>14,.0f}"
            f"{chrony_load['replies_per_s']:>14,.0f}{ratio:>9.2f}"
        )
        for stat in ("p50_us", "p99_us"):
            lines.append(
                f"{'  round trip ' + stat[:3] + ' (us)':28}{ours_load[stat]:>14.1f}"
                f"{chrony_load[stat]:>14.1f}"
            )
    ours_hold, chrony_hold = hold_times(ours), hold_times(chrony)
    lines.append(f"{'hold time p50 (us), idle':28}{ours_hold[0]:>14.1f}{chrony_hold[0]:>14.1f}")
    lines.append(f"{'hold time p99 (us), idle':28}{ours_hold[1]:>14.1f}{chrony_hold[1]:>14.1f}")
    ours_offset, chrony_offset = chronyd_offset(ours, keyfile), chronyd_offset(chrony, keyfile)
    lines.append(
        f"{'offset seen by chronyd (us)':28}{_us(ours_offset):>14}{_us(chrony_offset):>14}"
    )
    return "\n".join(lines)


def _us(seconds: float | None) -> str:
    return "no sample" if seconds is None else f"{seconds * 1e6:+.1f}"


if __name__ == "__main__":
    sys.exit(main())
