"""`make bench`: the appliance's NTP server beside chronyd, measured in the same run.

Prints replies per second and round-trip p50/p99 under load (plain, MD5 and AES-CMAC
requests, one worker), server hold time (transmit minus receive) at idle, and the offset a
real chronyd client measures against each server on loopback. Then, with an offset injected
into the simulated world's true UTC, what chronyd measures against the appliance and how
far served time is from true UTC at that moment; and the timing figures of
tests/bench/timing.py: re-lock time per oscillator and how tight the error bound is. The PTP
figures (tests/bench/benchptp.py) are the RMS and worst `master offset` a ptp4l slave measures
over BENCH_PTP_SECONDS (60) with the appliance as grandmaster, beside ptp4l as grandmaster
on the same veth pair, and the RMS ratio.

The load generator checks the MAC of every signed reply it counts; a bad one fails the
bench. Two floods (tests/bench/ntpflood.c) follow: a normal client's replies per second
while 65,536 sources of one /16 send at a fixed rate, against the same from sources spread
over 127/8 (the client table's hash must not care); and the share of KoD replies one source
gets for 20,000 requests sent as fast as it can, under the default rate limit (chronyd: its
`ratelimit` defaults).

SNMP (tests/bench/benchsnmp.py): varbinds per second that net-snmp's snmpbulkwalk and
snmpwalk get through the whole path (front door, snmpd, AgentX, our subagent) beside a plain
snmpd walked over its own objects, and the memory SNMP adds to the appliance.

The web console (tests/bench/benchweb.py): NTP replies per second with and without a
logged-in client polling the dashboard's API every second over HTTPS (A/B alternating, the
median of four; the target is a cost of at most 5 %), and the time to first byte of the
dashboard page and the API, p50/p99.

BENCH_SECONDS, BENCH_PTP_SECONDS, BENCH_FLOOD_RATE, BENCH_KOD_FLOOD and BENCH_WEB_REQUESTS
shorten a smoke run.
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

from services.ntp.keys import NtpKey, parse_keys  # noqa: E402
from tests.bench.benchptp import benchptp_figures  # noqa: E402
from tests.bench.benchsnmp import benchsnmp_figures  # noqa: E402
from tests.bench.benchweb import benchweb_figures  # noqa: E402
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
FLOOD_RATE = int(os.environ.get("BENCH_FLOOD_RATE", "20000"))
"""Requests per second from the flood's sources: a load the server can take beside a client."""
KOD_FLOOD = int(os.environ.get("BENCH_KOD_FLOOD", "20000"))
KOD_SOURCE = "127.0.0.2"
"""Rate limited as the appliance ships; every other 127/8 source is not, for the throughput."""
WORLD_OFFSET_NS = 2_500_000


def build(work: Path, name: str, *libraries: str) -> Path:
    binary = work / name
    source = str(Path(__file__).with_name(f"{name}.c"))
    subprocess.run(["gcc", "-O2", "-o", str(binary), source, *libraries], check=True)
    return binary


def pool_file(work: Path, name: str, key: NtpKey | None) -> tuple[Path, int]:
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


def load(
    loader: Path, port: int, pool: Path, size: int, key: NtpKey | None = None
) -> dict[str, float]:
    """ntpload's figures; with the key the pool is signed with, it checks every reply's MAC."""
    command = [str(loader), "127.0.0.1", str(port), str(SECONDS), str(WINDOW), str(pool), str(size)]
    if key is not None:
        command += [str(key.key_id), key.type.value, key.secret.hex()]
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=SECONDS + 30
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def flood(flooder: Path, port: int, sources: str, count: int, rate: int, seconds: float
          ) -> subprocess.Popen[str]:  # fmt: skip
    """ntpflood running; its figures come out as JSON when it ends."""
    command = [str(flooder), "127.0.0.1", str(port), sources, str(count), str(rate), str(seconds)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def flood_result(process: subprocess.Popen[str], seconds: float) -> dict[str, float]:
    out, _ = process.communicate(timeout=seconds + 30)
    if process.returncode != 0:
        raise RuntimeError(f"ntpflood failed ({process.returncode})")
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


def start_chronyd(
    work: Path, port: int, keyfile: Path, name: str = "chronyd", extra: str = ""
) -> subprocess.Popen[bytes]:
    """chronyd serving 127/8 on `port` (the floods' sources too); `extra` config lines."""
    conf = work / f"{name}.conf"
    conf.write_text(
        f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.0/8\nlocal stratum 1\ncmdport 0\n"
        f"keyfile {keyfile}\npidfile {work}/{name}.pid\n{extra}"
    )
    process = subprocess.Popen(
        ["chronyd", "-d", "-x", "-f", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return process


def boot(work: Path, name: str, port: int, extra: str = "", password: str | None = None) -> Booted:
    config = write_config(
        work / f"{name}.toml",
        f'[timing]\nlock_samples = 3\n[services.ntp]\nport = {port}\nbind = ["127.0.0.1"]\n'
        f'workers = 1\n[[services.ntp.rules]]\nnetwork = "{KOD_SOURCE}/32"\n'
        '[[services.ntp.rules]]\nnetwork = "127.0.0.0/8"\nratelimit = false\n' + extra,
    )
    return Booted(work / name, config, password)


def main() -> int:
    for tool in ("chronyd", "gcc"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            print(f"bench: {tool} is missing (make test installs chrony)", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    os.chmod(work, 0o755)
    loader, flooder = build(work, "ntpload", "-lcrypto"), build(work, "ntpflood")
    ours_port, chrony_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    booted = boot(work, "data", ours_port)
    try:
        booted.wait_event("timing.locked", seconds=60)
        keys = appliance_keys(work / "data")
        keyfile = chrony_keyfile([(i, kind, secret) for kind, (i, secret) in keys.items()])
        chronyd = start_chronyd(work, chrony_port, keyfile)
        limited_port = free_port(socket.SOCK_DGRAM)
        limited = start_chronyd(work, limited_port, keyfile, "chronyd-limited", "ratelimit\n")
        try:
            rows, bad_macs = measure(work, loader, ours_port, chrony_port, keys, keyfile)
            rows += "\n" + measure_floods(work, loader, flooder, ours_port, chrony_port,
                                          limited_port)  # fmt: skip
            rows += f"\ntimeserver packet path: {ntp_status(booted)['packet_path']}"
        finally:
            for process in (chronyd, limited):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)
    finally:
        booted.stop(seconds=10)
    rows += "\n" + measure_world(work, keyfile)
    print(rows)
    print(timing_figures())
    print(benchsnmp_figures())
    print(benchptp_figures())
    print(benchweb_figures())
    if bad_macs:
        print(f"bench: {bad_macs} replies had a bad or missing MAC", file=sys.stderr)
        return 1
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
            keys: dict[str, tuple[int, str]], keyfile: Path) -> tuple[str, int]:  # fmt: skip
    """The throughput table, and how many signed replies came back with a bad MAC."""
    lines = [
        f"NTP server benchmark, one worker, loopback, {SECONDS:g} s per run, "
        f"{WINDOW} requests in flight",
        f"{'':28}{'timeserver':>14}{'chronyd':>14}{'ratio':>9}",
    ]
    bad = {ours: 0, chrony: 0}
    for name, kind in (("plain", None), ("MD5", "MD5"), ("AES-CMAC", "AES128CMAC")):
        key = None
        if kind is not None:
            key_id, secret = keys[kind]
            key = next(iter(parse_keys(f"{key_id} {kind} {secret}", "bench").values()))
        pool, size = pool_file(work, name, key)
        ours_load = load(loader, ours, pool, size, key)
        chrony_load = load(loader, chrony, pool, size, key)
        bad[ours] += int(ours_load["bad_mac"])
        bad[chrony] += int(chrony_load["bad_mac"])
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
    lines.append(f"{'  signed replies, bad MAC':28}{bad[ours]:>14}{bad[chrony]:>14}")
    ours_hold, chrony_hold = hold_times(ours), hold_times(chrony)
    lines.append(f"{'hold time p50 (us), idle':28}{ours_hold[0]:>14.1f}{chrony_hold[0]:>14.1f}")
    lines.append(f"{'hold time p99 (us), idle':28}{ours_hold[1]:>14.1f}{chrony_hold[1]:>14.1f}")
    ours_offset, chrony_offset = chronyd_offset(ours, keyfile), chronyd_offset(chrony, keyfile)
    lines.append(
        f"{'offset seen by chronyd (us)':28}{_us(ours_offset):>14}{_us(chrony_offset):>14}"
    )
    return "\n".join(lines), bad[ours] + bad[chrony]


def client_under_flood(work: Path, loader: Path, flooder: Path, port: int, sources: str) -> float:
    """A plain client's replies per second while `sources` send FLOOD_RATE requests/s."""
    pool, size = pool_file(work, "plain", None)
    flooding = flood(flooder, port, sources, 0, FLOOD_RATE, SECONDS + 1.5)
    try:
        time.sleep(0.5)  # the flood's sources in the client table first
        replies = load(loader, port, pool, size)["replies_per_s"]
    finally:
        flood_result(flooding, SECONDS + 1.5)
    return replies


def kod_flood(flooder: Path, port: int) -> tuple[int, int]:
    """KOD_FLOOD requests from one source as fast as it can: the KoDs and the replies with
    time that came back."""
    result = flood_result(flood(flooder, port, f"one:{KOD_SOURCE}", KOD_FLOOD, 0, 10), 10)
    return int(result["kod"]), int(result["replies"])


def measure_floods(work: Path, loader: Path, flooder: Path, ours: int, chrony: int,
                   chrony_limited: int) -> str:  # fmt: skip
    """The client table under floods: a /16 against spread sources, and a single flooder."""
    lines = [f"client replies/s, {FLOOD_RATE:,} req/s flood from 65,536 sources"]
    one = [
        client_under_flood(work, loader, flooder, port, "slash16:127.1") for port in (ours, chrony)
    ]
    spread = [client_under_flood(work, loader, flooder, port, "spread") for port in (ours, chrony)]
    lines.append(f"{'  sources in one /16':28}{one[0]:>14,.0f}{one[1]:>14,.0f}")
    lines.append(f"{'  sources spread':28}{spread[0]:>14,.0f}{spread[1]:>14,.0f}")
    ratios = [one[0] / max(1.0, spread[0]), one[1] / max(1.0, spread[1])]
    lines.append(f"{'  one /16 / spread':28}{ratios[0]:>14.2f}{ratios[1]:>14.2f}")
    (ours_kod, ours_time), (chrony_kod, chrony_time) = (
        kod_flood(flooder, ours), kod_flood(flooder, chrony_limited),
    )  # fmt: skip
    lines.append(f"KoD, {KOD_FLOOD:,} requests from one source, default rate limits")
    lines.append(f"{'  KoD (% of requests)':28}{100 * ours_kod / KOD_FLOOD:>14.1f}"
                 f"{100 * chrony_kod / KOD_FLOOD:>14.1f}")  # fmt: skip
    ours_share = 100 * ours_kod / max(1, ours_kod + ours_time)
    chrony_share = 100 * chrony_kod / max(1, chrony_kod + chrony_time)
    lines.append(f"{'  KoD (% of replies)':28}{ours_share:>14.1f}{chrony_share:>14.1f}")
    lines.append(f"{'  replies (time or KoD)':28}{ours_kod + ours_time:>14,}"
                 f"{chrony_kod + chrony_time:>14,}")  # fmt: skip
    return "\n".join(lines)


def _us(seconds: float | None) -> str:
    return "no sample" if seconds is None else f"{seconds * 1e6:+.1f}"


if __name__ == "__main__":
    sys.exit(main())
