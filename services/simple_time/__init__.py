"""The two old time services: daytime (RFC 867) and time (RFC 868), over TCP and UDP."""
