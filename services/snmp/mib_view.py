"""The objects the subagent serves as one sorted, immutable snapshot, and the answers to Get,
GetNext and GetBulk from it (RFC 2741 7.2.3): a bisect per lookup, no tree walk."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from services.snmp.agentx import Oid, SearchRange, ValueType, VarBind


class MibView:
    """Values by OID, sorted; built once per status snapshot and then only read."""

    def __init__(self, varbinds: Iterable[VarBind]) -> None:
        ordered = sorted(varbinds, key=lambda varbind: varbind.name)
        self.names: list[Oid] = [varbind.name for varbind in ordered]
        self.varbinds = ordered
        if len(set(self.names)) != len(self.names):
            raise ValueError("an OID is served twice")

    def get(self, name: Oid) -> VarBind:
        """The object at exactly `name`, or noSuchObject."""
        at = bisect.bisect_left(self.names, name)
        if at < len(self.names) and self.names[at] == name:
            return self.varbinds[at]
        return VarBind(ValueType.NO_SUCH_OBJECT, name)

    def next(self, search: SearchRange) -> VarBind:
        """The first object after the range's start (at it, when `include`) and before its
        end (an empty end: no end), or endOfMibView named as the start."""
        start = search.start
        at = (bisect.bisect_left if search.include else bisect.bisect_right)(self.names, start)
        if at < len(self.names) and (not search.end or self.names[at] < search.end):
            return self.varbinds[at]
        return VarBind(ValueType.END_OF_MIB_VIEW, start)

    def bulk(
        self, non_repeaters: int, max_repetitions: int, ranges: tuple[SearchRange, ...]
    ) -> list[VarBind]:
        """GetBulk (RFC 2741 7.2.3.3): one GetNext for each of the first `non_repeaters`
        ranges, then up to `max_repetitions` rows over the others, interleaved, ending when
        every repeater has reached the end of the view."""
        single, repeated = ranges[:non_repeaters], list(ranges[non_repeaters:])
        answer = [self.next(search) for search in single]
        for _ in range(max_repetitions if repeated else 0):
            row = [self.next(search) for search in repeated]
            answer += row
            if all(varbind.type == ValueType.END_OF_MIB_VIEW for varbind in row):
                break
            repeated = [
                SearchRange(varbind.name, search.end)
                for varbind, search in zip(row, repeated, strict=True)
            ]
        return answer
