"""The firmware as a supervised service: it says why the last rollback happened (event,
syslog), watches a firmware on trial and commits it or rolls it back, and reports the
running slot, version and signing key in the status."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from firmware import __version__
from firmware.base.config.schema import Firmware
from firmware.base.events import EventBus, Severity
from firmware.base.status import StatusTree
from firmware.upgrade.slots import (
    SlotState,
    committed,
    complete_slots,
    load_state,
    roll_back,
    save_state,
)
from firmware.upgrade.trial import Trial, Verdict

TICK_S = 0.5


class FirmwareService:
    name = "firmware"

    def __init__(
        self,
        data_dir: Path,
        running_slot: str,
        section: Firmware,
        status: Callable[[], StatusTree],
        events: EventBus,
        reboot: Callable[[], None],
    ) -> None:
        self.data_dir = data_dir
        self.running_slot = running_slot
        self.section = section
        self.tree = status
        self.events = events
        self.reboot = reboot
        self.state = SlotState()
        self.rolled_back = ""
        self.task: asyncio.Task[None] | None = None
        self.ended: asyncio.Future[None] | None = None

    async def start(self) -> None:
        self.state = load_state(self.data_dir)
        self.ended = asyncio.get_running_loop().create_future()
        if self.state.rolled_back:
            self.rolled_back = self.state.rolled_back
            self.events.emit(
                "firmware.rolled_back", Severity.WARNING, self.rolled_back, security=True
            )
            self.state = replace(self.state, rolled_back="")
            save_state(self.data_dir, self.state)
        if self.state.trial and self.state.active == self.running_slot:
            self.task = asyncio.get_running_loop().create_task(self._watch())
            self.task.add_done_callback(self._watch_ended)

    def _watch_ended(self, task: asyncio.Task[None]) -> None:
        """A trial that could not be judged (the state file unwritable) is a crash."""
        if not task.cancelled() and task.exception() is not None and self.ended is not None:
            if not self.ended.done():
                self.ended.set_exception(task.exception() or RuntimeError())

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        trial = Trial(self.section.trial_seconds, self.state.sync_baseline, loop.time())
        verdict = Verdict.WAIT
        while verdict is Verdict.WAIT:
            await asyncio.sleep(TICK_S)
            verdict = trial.judge(self.tree(), loop.time())
        state = load_state(self.data_dir)
        if state.active != self.running_slot or not state.trial:
            return  # committed or rolled back by hand meanwhile
        if verdict is Verdict.COMMIT:
            self.state = committed(state)
            save_state(self.data_dir, self.state)
            self.events.emit(
                "firmware.committed", Severity.NOTICE,
                f"firmware {state.version} in slot {state.active} passed its trial and is kept",
            )  # fmt: skip
            return
        why = f"its trial failed: {trial.problem}"
        back = roll_back(state, complete_slots(self.data_dir), why)
        save_state(self.data_dir, back.state)
        self.events.emit(
            "firmware.trial_failed", Severity.ERROR,
            f"firmware {state.version} in slot {state.active}: {why}; restarting into "
            f"{_slot_name(back.run)}", security=True,
        )  # fmt: skip
        self.reboot()

    async def wait(self) -> None:
        assert self.ended is not None
        await self.ended

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    def status(self) -> dict[str, object]:
        state = self.state
        return {
            "slot": _slot_name(self.running_slot), "version": __version__,
            "signed_by": state.key_id, "trial": state.trial and state.active == self.running_slot,
            "rolled_back": self.rolled_back,
        }  # fmt: skip


def _slot_name(slot: str) -> str:
    return f"slot {slot}" if slot else "the base install"
