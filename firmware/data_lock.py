"""The data directory's lock: one appliance per data directory, and the one holding it named."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "appliance.lock"


class DataDirInUse(Exception):
    """Another appliance holds the data directory; the message names its pid."""


def lock_data_dir(data_dir: Path) -> int:
    """Take the data directory for this process (until it exits) and write our pid in the
    lock file; the descriptor returned must stay open."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DataDirInUse(
            f"data directory {data_dir} is in use by the appliance with pid {holder}"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd
