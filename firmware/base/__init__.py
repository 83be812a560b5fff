"""The base layer of the firmware: what every service and feature builds on (config, events,
access rules and rate limits, the service contract, atomic files, the status tree)."""
