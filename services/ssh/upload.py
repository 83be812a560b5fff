"""SFTP into the upload area (a firmware bundle on its way to `firmware install NAME`):
admins only, plain files in one directory, and the directory's total size limited so that
uploads cannot fill the disk."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import asyncssh

from firmware.base.events import EventBus, Severity
from firmware.upgrade.upload_area import too_full


class UploadArea(asyncssh.SFTPServer):
    """One SFTP session, rooted (chroot) in the upload directory."""

    def __init__(
        self,
        chan: asyncssh.SSHServerChannel[bytes],
        root: Path,
        limit: int,
        is_admin: Callable[[str], bool],
        events: EventBus,
    ) -> None:
        super().__init__(chan, chroot=os.fsencode(root))
        self.root = root
        self.limit = limit
        self.user = str(chan.get_extra_info("username"))
        self.admin = is_admin(self.user)
        self.events = events
        self.written: set[int] = set()

    def map_path(self, path: bytes) -> bytes:
        if not self.admin:
            raise asyncssh.SFTPPermissionDenied("only admins may upload")
        return super().map_path(path)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        """Refused once the area would hold more than the limit, this file counted at the
        size it would have."""
        fd = file_obj.fileno()  # type: ignore[attr-defined]
        here = os.fstat(fd)
        full = too_full(self.root, here.st_ino, max(here.st_size, offset + len(data)), self.limit)
        if full:
            raise asyncssh.SFTPQuotaExceeded(full)
        self.written.add(fd)
        return os.pwrite(fd, data, offset)

    def close(self, file_obj: object) -> None:
        fd = file_obj.fileno()  # type: ignore[attr-defined]
        if fd not in self.written:
            super().close(file_obj)
            return
        self.written.discard(fd)
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        size = os.fstat(fd).st_size
        super().close(file_obj)
        self.events.emit(
            "ssh.upload", Severity.NOTICE, f"{self.user} uploaded {name} ({size} bytes)",
            {"user": self.user, "file": name}, security=True,
        )  # fmt: skip

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        raise asyncssh.SFTPOpUnsupported("the upload area holds files only")

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("the upload area holds files only")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("the upload area holds files only")
