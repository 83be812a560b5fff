"""PTP grandmaster (IEEE 1588-2019 default profile over UDP/IPv4)."""
