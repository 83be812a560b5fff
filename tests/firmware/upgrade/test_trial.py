"""A firmware on trial commits once every service has run for trial_seconds with the sync
state back where it was; a service down, a restart or a worse sync state holds it back, and
three times trial_seconds without that rolls it back with the reason."""

from firmware.base.status import StatusTree
from firmware.upgrade.trial import Trial, Verdict


def tree(ntp: str = "running", restarts: int = 0, sync: str = "LOCKED") -> StatusTree:
    return {
        "timing": {"state": "running", "restarts": 0, "sync_state": sync},
        "ntp": {"state": ntp, "restarts": restarts, "last_error": "RuntimeError: no port"},
        "firmware": {"state": "running", "restarts": 7},
    }


def run(trial: Trial, trees: list[StatusTree]) -> list[str]:
    return [trial.judge(t, float(second)).value for second, t in enumerate(trees)]


def test_healthy_for_trial_seconds_commits() -> None:
    verdicts = run(Trial(3, "LOCKED", 0.0), [tree()] * 5)
    assert verdicts == ["wait", "wait", "wait", "commit", "commit"]


def test_a_restart_or_a_down_service_starts_the_count_again() -> None:
    trees = [tree(), tree(), tree(restarts=1), tree(restarts=1), tree(ntp="retrying", restarts=1),
             tree(restarts=1), tree(restarts=1), tree(restarts=1), tree(restarts=1)]  # fmt: skip
    assert run(Trial(3, "", 0.0), trees)[-4:] == ["wait", "wait", "wait", "commit"]


def test_a_sync_state_below_the_baseline_holds_the_commit_back() -> None:
    trial = Trial(2, "LOCKED", 0.0)
    assert run(trial, [tree(sync="FREERUN")] * 3) == ["wait"] * 3
    assert "the sync state is FREERUN, below LOCKED" in trial.problem
    assert Trial(2, "HOLDOVER", 0.0).judge(tree(sync="LOCKED"), 2.0) is Verdict.WAIT


def test_no_health_within_three_trial_periods_rolls_back_saying_why() -> None:
    trial = Trial(2, "", 0.0)
    verdicts = run(trial, [tree(ntp="retrying")] * 7)
    assert verdicts == ["wait"] * 6 + ["roll back"]
    assert trial.problem == "ntp is not running (RuntimeError: no port)"
