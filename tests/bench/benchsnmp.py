"""The SNMP figures of `make bench`: varbinds per second that net-snmp's snmpbulkwalk gets
through the appliance's whole SNMP path (front door, snmpd, AgentX, our subagent) beside a
plain snmpd serving its own objects, and the memory SNMP adds to the appliance.

Two appliances are booted one after the other with the same config but for
`[services.snmp] enabled`: the one without SNMP idles while the plain snmpd is walked (so
both runs share the machine with one appliance) and gives the memory without SNMP.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.snmp.front_door import RATE_INTERVAL_S  # noqa: E402
from services.snmp.objects import ENTERPRISE  # noqa: E402
from tests.interop.netsnmp import NetSnmp, PrivateSnmpd, SnmpUser  # noqa: E402
from tests.interop.ntp_appliance import status_tree  # noqa: E402
from tests.scenarios.appliance import Booted, write_config  # noqa: E402
from tests.tools import free_port  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WALKERS = 2
"""snmpbulkwalk processes at a time, so that the agent is busy while a client starts."""
MAX_WALKS = 100_000
"""Per walker: the load stops by itself even if the clock were to stall."""
SOURCES = tuple(f"127.0.1.{n}" for n in range(1, 255))
"""Each walk comes from the next of these: one source stays far below the front door's
per-source limit, which would otherwise measure itself."""
USER = SnmpUser()
OURS = ".".join(str(n) for n in ENTERPRISE)
NTP_MIB = "1.3.6.1.2.1.197"
SYSTEM, SNMP_GROUP = "1.3.6.1.2.1.1", "1.3.6.1.2.1.11"
"""The plain snmpd's own subtrees: fixed in size, about as many varbinds per walk as ours."""
TRAVERSAL = re.compile(r"Total traversal time = ([0-9.]+) seconds")
SYS_NAME = "1.3.6.1.2.1.1.5.0"
MIB = 1024.0


@dataclass
class Walks:
    """What a load run got back: walks done, varbinds returned, walks that failed, and the
    seconds inside the walks (snmpwalk -Ct: no client start, no engine discovery)."""

    walks: int = 0
    varbinds: int = 0
    failed: int = 0
    seconds: float = 0.0
    inside: float = 0.0

    def add(self, other: Walks) -> None:
        self.walks += other.walks
        self.varbinds += other.varbinds
        self.failed += other.failed
        self.inside += other.inside

    def per_second(self, count: int) -> float:
        return count / max(self.seconds, 1e-9)

    def per_walk(self) -> float:
        return self.varbinds / max(self.walks, 1)


@dataclass(frozen=True)
class Run:
    """One side of the table: its walks (snmpbulkwalk, then snmpwalk -Ct), its snmpd's RSS
    and the appliance's PSS (MiB)."""

    bulk: Walks
    getnext: Walks
    snmpd_rss: float
    appliance_pss: float


def walker(client: NetSnmp, program: str, roots: tuple[str, ...], sources: tuple[str, ...],
           deadline: float) -> Walks:  # fmt: skip
    """`program` (snmpbulkwalk, or snmpwalk timing itself) over each root in turn, each walk
    a new process from the next source, until the deadline."""
    tally, addresses = Walks(), cycle(sources)
    timed = ["-Ct"] if program == "snmpwalk" else []
    for count in range(MAX_WALKS):
        if time.monotonic() >= deadline:
            break
        options = [*USER.v3(), *timed, f"--clientaddr={next(addresses)}"]
        result = client.run(program, options, roots[count % len(roots)])
        inside = TRAVERSAL.search(result.stdout + result.stderr)
        if result.returncode != 0 or "Timeout" in result.stderr or (timed and not inside):
            tally.failed += 1
            continue
        tally.walks += 1
        tally.varbinds += sum(line.startswith(".") for line in result.stdout.splitlines())
        tally.inside += float(inside.group(1)) if inside else 0.0
    return tally


def walk_for(home: Path, port: int, roots: tuple[str, ...], program: str, walkers: int
             ) -> Walks:  # fmt: skip
    """`walkers` walkers for SECONDS, after one warm-up walk of each root."""
    for root in roots:
        NetSnmp(home / "warm-up", port).run(program, USER.v3(), root)
    began = time.monotonic()
    with ThreadPoolExecutor(walkers) as pool:
        runs = [
            pool.submit(walker, NetSnmp(home / f"walker-{n}", port), program, roots,
                        SOURCES[n::walkers], began + SECONDS)
            for n in range(walkers)
        ]  # fmt: skip
        tallies = [run.result(timeout=SECONDS + 60) for run in runs]
    total = Walks(seconds=time.monotonic() - began)
    for tally in tallies:
        total.add(tally)
    return total


def both_walks(home: Path, port: int, roots: tuple[str, ...]) -> tuple[Walks, Walks]:
    """snmpbulkwalk, WALKERS at a time; then snmpwalk -Ct, one at a time."""
    return (walk_for(home, port, roots, "snmpbulkwalk", WALKERS),
            walk_for(home, port, roots, "snmpwalk", 1))  # fmt: skip


def memory_kib(pid: int) -> dict[str, int]:
    """Rss and Pss of a process, KiB, from /proc/PID/smaps_rollup."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return {name: int(kib) for name, kib in re.findall(r"^(Rss|Pss):\s+(\d+) kB", text, re.M)}


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone since the listing
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def appliance_pss(booted: Booted, snmpd: int | None) -> float:
    """PSS of the appliance's processes (itself and its NTP workers), snmpd left out, MiB."""
    pids = [booted.process.pid, *children(booted.process.pid)]
    return sum(memory_kib(pid)["Pss"] for pid in pids if pid != snmpd) / MIB


def boot(work: Path, name: str, snmp_port: int, enabled: bool) -> Booted:
    """An appliance on loopback whose SNMP front door lets all of 127/8 in."""
    config = write_config(
        work / f"{name}.toml",
        f'[services.ntp]\nport = {free_port()}\nbind = ["127.0.0.1"]\nworkers = 1\n'
        f"[services.snmp]\nenabled = {str(enabled).lower()}\nport = {snmp_port}\n"
        'bind = ["127.0.0.1"]\nallow = ["127.0.0.0/8"]\n' + USER.toml(),
    )
    return Booted(work / name, config)


def measure_reference(work: Path) -> Run:
    """The plain snmpd walked beside an idle appliance without SNMP (whose PSS is taken)."""
    booted, port = boot(work, "snmp-off", free_port(), enabled=False), free_port()
    try:
        snmpd = PrivateSnmpd(work / "snmpd", port, USER, (SYSTEM, SNMP_GROUP))
        try:
            booted.wait_event("appliance.ready")
            snmpd.wait_ready(USER.v3(), SYS_NAME)
            walks = both_walks(work / "reference-clients", port, (SYSTEM, SNMP_GROUP))
            rss = memory_kib(snmpd.process.pid)["Rss"] / MIB
            return Run(*walks, rss, appliance_pss(booted, None))
        finally:
            snmpd.stop()
    finally:
        booted.stop(seconds=10)


def measure_ours(work: Path) -> tuple[Run, dict[str, int]]:
    """Our objects walked through the front door; the front door's request counters."""
    port = free_port()
    booted = boot(work, "snmp-on", port, enabled=True)
    try:
        booted.wait_event("snmp.subagent_registered")
        walks = both_walks(work / "ours-clients", port, (OURS, NTP_MIB))
        snmp = status_tree(booted)["snmp"]
        rss = memory_kib(snmp["pid"])["Rss"] / MIB
        return Run(*walks, rss, appliance_pss(booted, snmp["pid"])), snmp["requests"]
    finally:
        booted.stop(seconds=10)


def row(name: str, ours: float, reference: float, form: str) -> str:
    ratio = ours / reference if reference else float("nan")
    return f"{name:28}{ours:>14{form}}{reference:>14{form}}{ratio:>9.2f}"


def walk_rows(ours: Run, reference: Run) -> list[str]:
    bulk, theirs = ours.bulk, reference.bulk
    getnext = [run.getnext.varbinds / max(run.getnext.inside, 1e-9) for run in (ours, reference)]
    failed = [run.bulk.failed + run.getnext.failed for run in (ours, reference)]
    return [
        f"snmpbulkwalk, {WALKERS} at a time",
        row("  varbinds/s", bulk.per_second(bulk.varbinds), theirs.per_second(theirs.varbinds),
            ",.0f"),
        row("  walks/s", bulk.per_second(bulk.walks), theirs.per_second(theirs.walks), ",.1f"),
        row("  varbinds per walk", bulk.per_walk(), theirs.per_walk(), ".1f"),
        "snmpwalk, one at a time",
        row("  GETNEXT/s inside a walk", *getnext, ",.0f"),
        f"{'walks failed':28}{failed[0]:>14}{failed[1]:>14}",
    ]  # fmt: skip


def table(ours: Run, reference: Run, requests: dict[str, int]) -> str:
    added = ours.appliance_pss - reference.appliance_pss
    return "\n".join([
        "",
        f"SNMP agent benchmark, SNMPv3 authPriv (SHA-256, AES), loopback, {SECONDS:g} s per run",
        f"{'':28}{'timeserver':>14}{'snmpd alone':>14}{'ratio':>9}",
        *walk_rows(ours, reference),
        row("snmpd RSS (MiB)", ours.snmpd_rss, reference.snmpd_rss, ".1f"),
        f"{'appliance PSS (MiB)':28}{ours.appliance_pss:>14.1f}{reference.appliance_pss:>14.1f}"
        f"  (SNMP on / off: {added:+.1f}, {added + ours.snmpd_rss:+.1f} with snmpd's RSS)",
        explanation(requests),
    ])  # fmt: skip


def explanation(requests: dict[str, int]) -> str:
    return (
        f"timeserver: client -> front door -> snmpd -> AgentX -> subagent, walking {OURS} and "
        f"{NTP_MIB} in turn; snmpd alone: its system and snmp groups, no front door, no "
        "subagent. Each walk is a new client process (GETNEXT/s leaves out its start and "
        f"engine discovery: snmpwalk -Ct), from the next of {len(SOURCES)} sources in "
        f"127.0.1.0/24, so the front door's per-source limit ({1 / RATE_INTERVAL_S:.0f} "
        f"requests/s) does not throttle: {requests['rate_limited']} of "
        f"{requests['rate_limited'] + requests['forwarded']:,} requests rate-limited."
    )


def benchsnmp_figures() -> str:
    """Boots, measures and stops everything it needs; the lines to print."""
    for tool in ("snmpd", "snmpbulkwalk"):
        if shutil.which(tool, path="/usr/bin:/bin:/usr/sbin:/sbin") is None:
            return f"bench: {tool} is missing (make test installs it)"
    work = Path(tempfile.mkdtemp(prefix="bench-snmp-"))
    try:
        reference = measure_reference(work)
        ours, requests = measure_ours(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return table(ours, reference, requests)


if __name__ == "__main__":
    print(benchsnmp_figures())
