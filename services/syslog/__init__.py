"""Forwarding of events to remote syslog collectors (RFC 5424 over UDP, TCP and TLS)."""
