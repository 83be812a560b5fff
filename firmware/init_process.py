"""PID 1 in a container: `timeserver boot` started as the first process of a PID namespace
forks, and the first process becomes a small init (as tini does): it forwards the stop,
reload and user signals to the appliance, reaps every process that ends under it (orphans
are reparented to PID 1, and a zombie nobody reaps stays forever), and exits with the
appliance's exit status when the appliance ends.

The appliance itself runs in the child, so asyncio's own waiting for the processes it
starts (snmpd, pip) is never disturbed by a reaper that takes their exit status first. A
kernel does not deliver a signal to PID 1 for which PID 1 has no handler (SIGTERM from
`podman stop` would be lost): here the init waits for the signals with sigwait, blocked
from before the fork so that none can slip between the fork and the wait."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

FORWARDED = (
    signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
)  # fmt: skip
WATCHED = {signal.SIGCHLD, *FORWARDED}


def become_init() -> None:
    """When this is PID 1, fork: the child returns and boots the appliance; this process
    never returns (it serves as init, then exits with the appliance's status)."""
    if os.getpid() != 1:
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        return
    os._exit(serve_as_init(child))


def serve_as_init(child: int) -> int:
    """Forward signals to `child` and reap everything until `child` has ended; its exit
    status (128 + N when a signal N ended it, as a shell reports it)."""
    while True:
        number = signal.sigwait(WATCHED)
        if number != signal.SIGCHLD:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, number)
            continue
        code = reap(child)
        if code is not None:
            return code


def reap(child: int) -> int | None:
    """Collect every ended process; the exit status of `child` if it was among them."""
    found = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return found if found is not None else 0
        if pid == 0:
            return found
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            found = 128 - code if code < 0 else code
