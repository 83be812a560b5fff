"""Ending a service's child process: a signal, a bounded wait, then SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import signal


async def end_child(
    process: asyncio.subprocess.Process, timeout_s: float, first: signal.Signals | None
) -> bool:
    """Send `first` (None when the child was already told), wait up to `timeout_s` for it to
    exit, and kill it if it has not; True when it had to be killed."""
    if first is not None and process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
        return False
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return True
