"""The NTP server (RFC 5905): codec, keys, access rules, rate limiting, engine and adapter."""
