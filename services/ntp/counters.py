"""The NTP workers' counters, by name: the engine and the C fast path count them, shared
memory carries them to the appliance, `ntp stats` and `timeserver status` show them."""

COUNTERS = ("served", "served_stale", "authenticated", "denied", "rate_limited", "kod_sent",
            "bad_mac", "mode6", "mode7", "malformed", "other_modes")  # fmt: skip
