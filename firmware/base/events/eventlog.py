"""The local event log: JSON lines in the data directory, rotated by size, bounded in count."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from firmware.base.events.event import Event


class EventLog:
    """`events.log` plus at most `keep` rotated files `events.log.1` (newest) and up."""

    def __init__(self, path: Path, max_bytes: int, keep: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        self.write_failures = 0

    def __call__(self, event: Event) -> None:
        self.write(event)

    def write(self, event: Event) -> None:
        line = (event.to_json() + "\n").encode("utf-8")
        try:
            if self._size() + len(line) > self.max_bytes:
                self._rotate()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:
            self.write_failures += 1

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotate(self) -> None:
        oldest = self._rotated(self.keep)
        oldest.unlink(missing_ok=True)
        for number in range(self.keep - 1, 0, -1):
            source = self._rotated(number)
            if source.exists():
                source.rename(self._rotated(number + 1))
        if self.path.exists():
            self.path.rename(self._rotated(1))

    def _rotated(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{number}")

    def read(self) -> Iterator[dict[str, object]]:
        """Every event kept, oldest first; a damaged line is skipped."""
        files = [self._rotated(n) for n in range(self.keep, 0, -1)] + [self.path]
        for path in files:
            if not path.exists():
                continue
            with path.open(encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue
