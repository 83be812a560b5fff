class FastPath:
    def __init__(
        self,
        fds: list[int],
        allow: list[tuple[bytes, int, bool, bool, bool, bool, bool]],
        rules: list[tuple[bytes, int, bool, bool, bool, bool, bool]],
        refill_ns: int,
        burst: int,
        leak_mask: int,
        clients: int,
        crypto_nak: bool,
        seed: bytes,
    ) -> None: ...
    def serve(self, timeout_ms: int) -> list[tuple[int, bytes, tuple[str, int], int]]: ...
    def admit(self, address: str, now_ns: int, limited: bool) -> int: ...
    def kiss(self, address: str) -> bool: ...
    def table_stats(self) -> dict[str, int]: ...
    def recent(self, count: int) -> list[tuple[str, int, int]]: ...
    def counters(self) -> dict[str, int]: ...
    def set_clock(
        self,
        base_host: int,
        base_served: int,
        rate: float,
        started: bool,
        trusted: bool,
        leap_offset: int,
        steady_until: int,
    ) -> None: ...
    def set_template(
        self,
        template: bytes | bytearray,
        leap: int,
        stale_template: bytes | bytearray,
        fresh_until_ns: int,
    ) -> None: ...
    def set_keys(self, keys: list[tuple[int, str, bytes]]) -> None: ...

def siphash(key: bytes, data: bytes) -> int: ...
