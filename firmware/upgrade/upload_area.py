"""The upload area (`upload/` in the data directory): where SFTP and the web page put files
for `firmware install NAME` and `https cert install NAME`. Its total size is limited by
`[firmware] upload_max_bytes`, one rule for every way in, so that uploads cannot fill the
disk."""

from __future__ import annotations

import os
from pathlib import Path

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
