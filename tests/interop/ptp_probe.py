"""Runs inside a network namespace of tests/interop/test_ptp.py (`ip netns exec NS python -m
tests.interop.ptp_probe ...`): sends datagrams to the PTP group and captures what the
grandmaster multicasts, or reads an interface's timestamping capabilities there.

    send IFACE GM_ADDRESS    stdin: {"sends": [[source, port, hex], ...], "want": [[type,
                             sequenceId or -1 for any], ...], "seconds": s}; stdout:
                             [[port, hex], ...] of the PTP payloads GM_ADDRESS sent,
                             captured until each wanted message came (a Sync only with its
                             Follow_Up) or the seconds ran out.
    ts-info IFACE            stdout: ETHTOOL_GET_TS_INFO as {"names": [...], "phc": n}.
"""

import json
import select
import socket
import struct
import sys
import time

from hal.net_timestamping import read_ts_info

GROUP = "224.0.1.129"
ETH_P_IP = 0x0800
SYNC, FOLLOW_UP = 0x0, 0x8
IPV4 = struct.Struct("!BxxxxxxxxBxx4s4s")
UDP = struct.Struct("!HHHxx")


def _capture_socket(interface: str) -> socket.socket:
    capture = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    capture.bind((interface, ETH_P_IP))
    return capture


def _send(interface: str, source: str, port: int, data: bytes) -> None:
    index = socket.if_nametoindex(interface)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        mreqn = struct.pack("4s4si", bytes(4), socket.inet_aton(source), index)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        sock.sendto(data, (GROUP, port))


def _ptp_payload(frame: bytes, sender: bytes) -> tuple[int, bytes] | None:
    """(destination port, UDP payload) of an IPv4/UDP frame from `sender` to 319 or 320."""
    if len(frame) < IPV4.size + UDP.size:
        return None
    first, protocol, source, _destination = IPV4.unpack_from(frame)
    header = (first & 0x0F) * 4
    if protocol != socket.IPPROTO_UDP or source != sender or len(frame) < header + UDP.size:
        return None
    _sport, dport, length = UDP.unpack_from(frame, header)
    if dport not in (319, 320):
        return None
    return dport, frame[header + UDP.size : header + length]


def send(interface: str, gm_address: str) -> list[tuple[int, str]]:
    plan = json.load(sys.stdin)
    capture = _capture_socket(interface)
    for source, port, data in plan["sends"]:
        _send(interface, source, port, bytes.fromhex(data))
    sender = socket.inet_aton(gm_address)
    wanted = {(kind, sequence) for kind, sequence in plan["want"]}
    seen: list[tuple[int, str]] = []
    syncs: set[int] = set()
    deadline = time.monotonic() + float(plan["seconds"])
    while wanted and time.monotonic() < deadline:
        ready, _, _ = select.select([capture], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        found = _ptp_payload(capture.recv(4096), sender)
        if found is None or len(found[1]) < 34:
            continue
        seen.append((found[0], found[1].hex()))
        kind, sequence = found[1][0] & 0x0F, int.from_bytes(found[1][30:32])
        if kind == SYNC:
            syncs.add(sequence)
            continue
        if kind == FOLLOW_UP and sequence in syncs:
            wanted -= {(SYNC, -1), (SYNC, sequence)}
        wanted -= {(kind, -1), (kind, sequence)}
    capture.close()
    return seen


def main(argv: list[str]) -> None:
    if argv[:1] == ["ts-info"]:
        info = read_ts_info(argv[1])
        print(json.dumps({"names": info.names(), "phc": info.phc_index}))
    elif argv[:1] == ["send"]:
        print(json.dumps(send(argv[1], argv[2])))
    else:
        sys.exit(f"usage: {__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
