"""Who holds a UDP port, read from /proc: another process is named by pid, our own sockets
are not counted, and a wildcard bind collides with a specific address."""

import socket
import subprocess
import sys

from services.ntp.port_holders import foreign_holder, sockets_on

HOLD = """
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(("0.0.0.0", 0))
print(sock.getsockname()[1], flush=True)
sys.stdin.read()
"""


def test_another_process_on_the_port_is_named_by_pid() -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        assert len(sockets_on(socket.AF_INET, "127.0.0.1", port)) == 1
        found = foreign_holder(socket.AF_INET, "127.0.0.1", port)
        assert found is not None and found.startswith(f"pid {holder.pid} (")
    finally:
        holder.communicate("", timeout=10)


def test_our_own_socket_is_not_foreign() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert len(sockets_on(socket.AF_INET, "127.0.0.1", port)) == 1
        assert sockets_on(socket.AF_INET, "127.0.0.2", port) == set()
        assert foreign_holder(socket.AF_INET, "127.0.0.1", port) is None
