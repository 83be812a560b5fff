"""Finding the real programs interop tests run; in CI a missing one is a failure, not a skip."""

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from typing import NoReturn

import pytest


def require(program: str) -> str:
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if path is None:
        missing(program)
    return path


def missing(what: str) -> NoReturn:
    message = f"{what} is not installed (make test installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "PubkeyAuthentication=no"]  # fmt: skip
"""A test appliance's fresh host key is accepted and forgotten; only the password is tried."""


def ssh_run(
    port: int, password: str, *command: str, user: str = "admin", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """OpenSSH's client, given the password by sshpass, running `command` as `user` on the
    appliance's SSH port on 127.0.0.1."""
    return subprocess.run(
        [require("sshpass"), "-p", password, require("ssh"), "-p", str(port), *SSH_OPTIONS,
         f"{user}@127.0.0.1", *command], capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port free for both TCP and UDP at the time of asking."""
    while True:
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, other) as check:
            try:
                check.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it is still there 5 s later."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Crash(BaseException):
    """kill -9: nothing after it runs, no handler sees it."""


def crash_at(steps: int) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """A wrapper for the functions that change the disk: the first `steps` calls run, the
    next one is the moment the process is killed (Crash)."""
    done = [0]

    def step(original: Callable[..., object]) -> Callable[..., object]:
        def run(*args: object, **kwargs: object) -> object:
            if done[0] == steps:
                raise Crash
            done[0] += 1
            return original(*args, **kwargs)

        return run

    return step
