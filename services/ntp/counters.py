"""The NTP workers' counters, by name: the engine and the C fast path count them, shared
memory carries them to the appliance, `ntp stats` and `timeserver status` show them."""

COUNTERS = ("served", "served_stale", "authenticated", "denied", "rate_limited", "kod_sent",
            "bad_mac", "mode6", "mode7", "malformed", "bad_version", "other_modes",
            "client_requests", "server_replies")  # fmt: skip
"""`client_requests`: every mode 3 packet received, whatever became of it; `server_replies`:
every mode 4 packet sent (time replies and kisses). RFC 5907's ntpEntStatPktModeTable reads
them; the others say what became of a request, not which mode it had."""


class SinceBoot:
    """What workers that are gone had counted (a worker replaced after a crash, every worker
    of an NTP service restarted for a config change), so that the totals shown count since
    the appliance booted. It outlives the NTP service; the appliance keeps one."""

    def __init__(self) -> None:
        self.carried = dict.fromkeys(COUNTERS, 0)

    def carry(self, counters: dict[str, int]) -> None:
        for name in COUNTERS:
            self.carried[name] += counters[name]

    def totals(self, running: dict[str, int]) -> dict[str, int]:
        return {name: self.carried[name] + running[name] for name in COUNTERS}
