"""A UDP socket bound to one configured address, IPv6 sockets for IPv6 only (so that "::"
and "0.0.0.0" can both be bound on one port), for the services that take datagrams."""

from __future__ import annotations

import socket


def bound_udp_socket(address: str, port: int) -> socket.socket:
    """The socket, bound; OSError (closed again) when the address or port cannot be had."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    return sock
