"""The trial of a newly installed firmware, free of I/O: fed the status tree and the time,
it says when the firmware has proved itself (commit) or has failed (roll back, and why).

It proves itself once every service the appliance runs has been running, without a
restart, for `trial_seconds`, and the sync state is back at least where it was when the
firmware was installed. It fails when that has not happened within three times as long.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from firmware.base.status import StatusTree

SYNC_RANK = {"UNSYNC": 0, "FREERUN": 1, "HOLDOVER": 2, "LOCKED": 3}
DEADLINE_FACTOR = 3
SKIPPED = frozenset({"firmware"})
"""The trial's own service is not judged."""


class Verdict(Enum):
    WAIT = "wait"
    COMMIT = "commit"
    ROLL_BACK = "roll back"


@dataclass
class Trial:
    trial_seconds: float
    sync_baseline: str
    started: float
    healthy_since: float | None = None
    restarts: int | None = None
    problem: str = "it has not been checked yet"
    """Why it is not healthy (yet), for the rollback's reason."""

    def judge(self, tree: StatusTree, now: float) -> Verdict:
        self._observe(tree, now)
        if self.healthy_since is not None and now - self.healthy_since >= self.trial_seconds:
            return Verdict.COMMIT
        if now - self.started >= DEADLINE_FACTOR * self.trial_seconds:
            return Verdict.ROLL_BACK
        return Verdict.WAIT

    def _observe(self, tree: StatusTree, now: float) -> None:
        services = {name: part for name, part in tree.items() if name not in SKIPPED
                    and isinstance(part, dict) and "state" in part}  # fmt: skip
        restarts = sum(_count(part.get("restarts")) for part in services.values())
        problem = _problem(services, self.sync_baseline)
        if self.restarts is not None and restarts != self.restarts:
            problem = problem or "a service restarted during the trial"
        self.restarts = restarts
        if problem:
            self.problem, self.healthy_since = problem, None
        elif self.healthy_since is None:
            self.healthy_since = now


def _problem(services: dict[str, dict[str, object]], baseline: str) -> str:
    for name, part in services.items():
        if part.get("state") != "running":
            error = part.get("last_error") or part.get("state")
            return f"{name} is not running ({error})"
    sync = str(services.get("timing", {}).get("sync_state", ""))
    if SYNC_RANK.get(sync, 0) < SYNC_RANK.get(baseline, 0):
        return f"the sync state is {sync or 'unknown'}, below {baseline} before the upgrade"
    return ""


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0
