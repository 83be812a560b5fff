"""Symlinks to a simulated device's pty, made so that they can never replace another file.

The link's directory is opened without following a symlink, the link is made inside that
open directory, and only an earlier link to a pty is ever replaced or removed: a regular
file, a directory or a symlink to anything else at that name is refused, as is a name that
is not a plain name inside the directory.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from hal.errors import DeviceError

PTY_PREFIX = "/dev/pts/"


def place_link(link: Path, target: str, own_directory: bool) -> None:
    """Make `link` a symlink to the pty `target`.

    With `own_directory`, the link's directory is one the appliance keeps for its links:
    it is made if missing and must hold nothing but symlinks, so that a configured directory
    such as /etc is refused outright.
    """
    if own_directory:
        with contextlib.suppress(FileExistsError):
            link.parent.mkdir(mode=0o755)
    with _directory(link) as fd:
        if own_directory:
            _check_only_links(fd, link.parent)
        try:
            os.symlink(target, link.name, dir_fd=fd)
            return
        except FileExistsError:
            pass
        _check_ours(fd, link)
        # Replace the old link in one rename: there is never a moment without a link, and
        # rename replaces the name itself, never what a symlink points to.
        temporary = f".{link.name}.{secrets.token_hex(4)}"
        try:
            os.symlink(target, temporary, dir_fd=fd)
            os.replace(temporary, link.name, src_dir_fd=fd, dst_dir_fd=fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=fd)
            raise DeviceError(f"cannot make {link}: {exc.strerror}") from exc


def remove_link(link: Path, target: str) -> None:
    """Remove `link` if it is still our symlink to `target`; anything else stays."""
    try:
        with _directory(link) as fd:
            if os.readlink(link.name, dir_fd=fd) == target:
                os.unlink(link.name, dir_fd=fd)
    except (DeviceError, OSError):
        pass


@contextlib.contextmanager
def _directory(link: Path) -> Iterator[int]:
    if link.name in ("", ".", "..") or ".." in link.parts:
        raise DeviceError(f"{link}: a link must be a plain name inside its directory")
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(link.parent, flags)
    except OSError as exc:
        raise DeviceError(
            f"link directory {link.parent}: {exc.strerror} (it must be a directory, not a symlink)"
        ) from exc
    try:
        yield fd
    finally:
        os.close(fd)


def _check_only_links(fd: int, directory: Path) -> None:
    for name in os.listdir(fd):
        if not stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
            raise DeviceError(
                f"link directory {directory} holds {name}, which is not a link; "
                "name a directory kept for the appliance's links"
            )


def _check_ours(fd: int, link: Path) -> None:
    try:
        old = os.readlink(link.name, dir_fd=fd)
    except OSError as exc:
        raise DeviceError(f"{link} exists and is not a link this appliance made") from exc
    if not old.startswith(PTY_PREFIX):
        raise DeviceError(f"{link} is a link to {old}, not one this appliance made")
