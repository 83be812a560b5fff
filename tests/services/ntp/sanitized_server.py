"""A fast path server for tests/services/ntp/test_fastpath_sanitized.py, run in a child
process whose _fastpath was built with AddressSanitizer and UBSan.

usage: python sanitized_server.py EXTENSION KEYS_FILE

Loads EXTENSION as services.ntp._fastpath (so services/ntp/fast.py sets it up as the worker
would), first misuses the FastPath object (no __init__, failed and repeated __init__, bad
policies), then serves IPv4 and IPv6 loopback sockets with a policy compiled as the worker
compiles it: MD5, SHA1 and AES-CMAC keys, a tight rate limit, rules that deny, require
authentication and allow mode 6. What the fast path hands back the engine answers, through
the same (sanitized) client table. Prints "ready PORT4 PORT6", serves until its stdin
closes, renewing its policy (clock, template, keys) as it goes, then prints its counters.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import select
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MODULE = "services.ntp._fastpath"


def load_extension(path: str) -> None:
    """Stands in for the extension setup.py built, before anything imports it."""
    loader = importlib.machinery.ExtensionFileLoader(MODULE, path)
    spec = importlib.util.spec_from_file_location(MODULE, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[MODULE] = module


def misuse(fast_path_type: type, fd: int) -> None:
    """The object-safety paths, under the sanitizers: each must raise, nothing else."""
    blank = fast_path_type.__new__(fast_path_type)
    for call in (lambda: blank.serve(0), lambda: blank.admit("127.0.0.1", 1, True),
                 lambda: blank.kiss("127.0.0.1"), blank.table_stats, lambda: blank.recent(3),
                 blank.counters, lambda: blank.set_policy(())):  # fmt: skip
        try:
            call()
        except RuntimeError:
            continue
        raise SystemExit("an uninitialised FastPath answered")
    for fds, clients in (([-5], 3), (["x"], 3), ([fd] * 17, 3), ([fd], 0)):
        try:
            blank.__init__(fds, clients, bytes(16))
        except (TypeError, ValueError):
            continue
        raise SystemExit("a bad __init__ was taken")
    blank.__init__([fd], 3, bytes(16))
    try:
        blank.admit("127.0.0.1", 1, True)
    except RuntimeError:
        pass
    else:
        raise SystemExit("admitted before any policy")
    network = (bytes(10) + b"\xff\xff\x7f\0\0\0", 104, True, True, False, True, True)
    template = (bytes(24), 0, bytes(24), 0)
    for rules, keys in (
        ([network, (b"short", 8, True, True, False, True, True)], ()), ([network, "x"], ()),
        ([network], ((1, "MD5", b"x"), ["x"])), ([network], ((1, "MD4", b"x"),)),
    ):  # fmt: skip
        try:
            blank.set_policy(((tuple([network] * 50), tuple(rules), network), keys, 10**9, 2,
                              -1, False, template, None))  # fmt: skip
        except (TypeError, ValueError):
            continue
        raise SystemExit("a bad policy was taken")
    try:
        blank.__init__([fd], 3, bytes(16))
    except RuntimeError:
        return
    raise SystemExit("a second __init__ was taken")


def main() -> int:
    extension, keys_file = sys.argv[1], Path(sys.argv[2])
    load_extension(extension)
    sys.path.insert(0, str(ROOT))
    from firmware.base.config import SERVICE_NAMES, parse_config
    from firmware.timing.leaps import LeapSchedule
    from firmware.timing.servo import Servo
    from firmware.timing.sync_state import Leap, State, make_state
    from services.ntp import fast
    from services.ntp.engine import Engine, finish
    from services.ntp.keyring import KeyRing
    from services.ntp.policy import compile_config, served_clock, with_keys, with_snapshot
    from services.ntp.sockets import SO_TIMESTAMPNS

    assert fast.FastPath is not None and sys.modules[MODULE].__file__ == extension
    ntp = {
        "allow": ["127.0.0.0/8", "::1/128"],
        "ratelimit": {"burst": 4, "leak": 1, "clients": 16},
        "rules": [{"network": "127.0.0.3/32", "action": "deny"},
                  {"network": "127.0.0.4/32", "require_auth": True},
                  {"network": "127.0.0.5/32", "kod": False},
                  {"network": "127.0.0.1/32", "ratelimit": False},
                  {"network": "127.0.1.0/24", "query": True}],
    }  # fmt: skip
    section = parse_config({"services": {"ntp": ntp}}, "t", SERVICE_NAMES).services.ntp
    sockets = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((host, 0))
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.setblocking(False)
        sockets.append(sock)
    misuse(fast.FastPath, sockets[0].fileno())
    ring = KeyRing(keys_file, [])
    policy = compile_config(section, ring.usable())
    path = fast.open_fast_path(policy, sockets)
    engine = Engine(policy, dict, path)
    now = time.time_ns()
    state = make_state(State.LOCKED, 250, Leap.NONE, Leap.NONE, 0.0, 0.0, now, 9)
    servo = Servo(now, now, 0.0, 0.0, True)
    past = LeapSchedule()
    past.schedule(now - 10**10, +1)  # applied: served time one second back
    clock = served_clock(servo, past, True, now)
    print("ready", *(sock.getsockname()[1] for sock in sockets), flush=True)
    rounds = 0
    while not select.select([sys.stdin], [], [], 0)[0]:
        rounds += 1
        host = time.time_ns()
        if rounds % 50 == 1:  # keys, clock and template renewed as housekeeping does
            leaps = past
            if rounds % 150 == 101:  # a leap about to start: mode 3 goes to Python
                leaps = LeapSchedule()
                leaps.schedule(host + 10**7, +1)
            clock = served_clock(servo, leaps, rounds % 100 != 1, host)
            age = 0 if rounds % 200 < 150 else 10**10
            policy = with_snapshot(with_keys(policy, ring.usable()), state, host,
                                   time.monotonic_ns() - age, clock)  # fmt: skip
            path.set_policy(fast.native(policy))
            engine.update(policy, time.monotonic_ns())
        for index, data, peer, stamp in path.serve(20):  # the rest, as the worker answers it
            stamp = stamp or time.time_ns()
            reply = engine.handle(data, peer[0], clock.served(stamp), stamp)
            for packet in [] if reply is None else finish(reply, clock.served(time.time_ns())):
                sockets[index].sendto(packet, peer)
    print(json.dumps(path.counters()), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TIMESERVER_NTP_FASTPATH", "1")
    sys.exit(main())
