"""Reading a small file a config names: a regular file of bounded size, refused in one line
that names the path and the reason, never the file's content."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_BYTES = 1 << 20


class UnreadableFile(Exception):
    """`path: reason`; `missing` when there is no such file."""

    def __init__(self, path: Path, reason: str, missing: bool = False) -> None:
        super().__init__(f"{path}: {reason}")
        self.missing = missing


def read_regular_file(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes.

    Opened non-blocking, so that a FIFO or a device put in its place cannot hang the reader.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise UnreadableFile(path, "no such file", missing=True) from exc
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read: {exc.strerror}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile(path, "not a regular file")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise UnreadableFile(path, f"larger than {limit} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read: {exc.strerror}") from exc
    finally:
        os.close(fd)
