"""The upload area (`upload/` in the data directory): where SFTP and the web page put files
for `firmware install NAME` and `https cert install NAME`. Its total size is limited by
`[firmware] upload_max_bytes`, one rule for every way in, so that uploads cannot fill the
disk."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from firmware.base.atomic_file import sync_directory
from firmware.upgrade.slots import UPLOAD_DIR


def upload_path(data_dir: Path, name: str) -> Path:
    """A path, or a plain name in the upload area."""
    return Path(name) if "/" in name else data_dir / UPLOAD_DIR / name


def held_besides(root: Path, inode: int) -> int:
    """Bytes the area's files hold, the file with `inode` (the one being written) left out."""
    return sum(
        entry.stat().st_size for entry in os.scandir(root)
        if entry.is_file(follow_symlinks=False) and entry.inode() != inode
    )  # fmt: skip


def too_full(root: Path, inode: int, size: int, limit: int) -> str:
    """Why the file with `inode` may not grow to `size` bytes ("" when it may)."""
    if held_besides(root, inode) + size > limit:
        return f"the upload area holds at most {limit} bytes; remove files first"
    return ""


PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class UploadRefused(ValueError):
    """Why a file may not go into the upload area, in one line."""


class IncomingFile:
    """A file arriving in the upload area a chunk at a time: written under a hidden
    temporary name, the area's limit checked at every chunk, renamed to its own name only
    once whole; refused or abandoned, nothing of it is left behind."""

    def __init__(self, root: Path, name: str, limit: int) -> None:
        if not PLAIN_NAME.fullmatch(name):
            raise UploadRefused(f"{name[:64]!r}: a file name is letters, digits, '.', '-' "
                                "and '_', at most 128 of them")  # fmt: skip
        root.mkdir(mode=0o700, exist_ok=True)
        self.root, self.name, self.limit = root, name, limit
        self.fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=root)
        self.tmp = Path(tmp)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        full = too_full(self.root, os.fstat(self.fd).st_ino, self.size + len(chunk), self.limit)
        if full:
            self.discard()
            raise UploadRefused(full)
        view = memoryview(chunk)
        while view:
            view = view[os.write(self.fd, view) :]
        self.size += len(chunk)

    def finish(self) -> Path:
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        path = self.root / self.name
        os.replace(self.tmp, path)
        sync_directory(self.root)
        return path

    def discard(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self.tmp.unlink(missing_ok=True)
