"""Commit confirmed on the command line: a change that would cut off its session is refused
with the reason, applied only when asked for with a timeout, rolled back when the (fake)
timer runs out, and kept when another session confirms it. Time comes from a stepped clock."""

import tomllib

from firmware.admin.commands import Session
from firmware.admin.confirmed import ConfirmedCommits
from firmware.admin.shell import Origin
from firmware.base.config import SERVICE_NAMES
from firmware.base.config.audit import AuditLog
from firmware.base.config.rollback import RollbackFile
from firmware.base.config.store import ConfigStore
from tests.firmware.admin.conftest import Bench

SSH = Origin("ssh", "192.0.2.9", "192.0.2.1", 22)


def ssh_session(role: str = "admin") -> Session:
    return Session("admin", role, SSH.source, origin=SSH)


def ssh_enabled(bench: Bench) -> bool:
    on_disk = tomllib.loads(bench.store.path.read_text()).get("services", {}).get("ssh", {})
    assert on_disk.get("enabled", True) == bench.store.config.services.ssh.enabled
    return bench.store.config.services.ssh.enabled


def kinds(bench: Bench) -> list[str]:
    return [event.kind for event in bench.seen]


def commit_confirmed(bench: Bench, session: Session, seconds: int = 30) -> str:
    shell = bench.interpreter()
    shell.run("config set services.ssh.enabled false", session)
    return shell.run(f"config commit confirmed {seconds}", session).text


def test_disabling_ssh_from_ssh_is_refused_with_the_reason(bench: Bench) -> None:
    shell, session = bench.interpreter(), ssh_session()
    shell.run("config set services.ssh.enabled false", session)
    refused = shell.run("config commit", session).text
    assert refused.startswith("refused, nothing changed: this change would cut off this session")
    assert "SSH would be disabled" in refused and "config commit confirmed [SECONDS]" in refused
    assert ssh_enabled(bench) and bench.reloads == 0
    assert session.staged == {"services.ssh.enabled": False}, "kept for 'commit confirmed'"


def test_every_command_that_stages_is_checked(bench: Bench) -> None:
    """services disable stages; staging warns, and the commit refuses."""
    shell, session = bench.interpreter(), ssh_session()
    staged = shell.run("services disable ssh", session).text
    assert staged.startswith("staged services.ssh.enabled = false; 'config commit' to apply")
    assert "note: committed, this would cut off this session:" in staged
    assert "SSH would be disabled" in staged
    refused = shell.run("config commit", session).text
    assert "SSH would be disabled" in refused and "config commit confirmed" in refused
    assert ssh_enabled(bench) and bench.reloads == 0


def test_the_console_is_never_cut_off(bench: Bench) -> None:
    shell, console = bench.interpreter(), Session("admin", "admin", "console")
    assert shell.run("services disable ssh", console).text == (
        "staged services.ssh.enabled = false; 'config commit' to apply"
    )
    assert shell.run("config commit", console).text == "committed services.ssh.enabled"
    assert not ssh_enabled(bench) and bench.reloads == 1


def test_a_commit_confirmed_rolls_back_when_nobody_confirms(bench: Bench) -> None:
    session = ssh_session()
    answer = commit_confirmed(bench, session, 30)
    assert answer.startswith("committed services.ssh.enabled") and "rolls back at" in answer
    assert not ssh_enabled(bench) and bench.reloads == 1
    pending = bench.commits.pending
    assert pending is not None and "SSH would be disabled" in pending.reason
    assert bench.commits.file.path.exists() and "config.commit_confirmed" in kinds(bench)
    assert pending.remaining_s(bench.clock.now_ns()) == 30
    bench.clock.step(12)
    assert pending.remaining_s(bench.clock.now_ns()) == 18
    [(seconds, ring)] = bench.alarms
    assert seconds == 30
    ring()
    assert bench.expired == [pending]
    assert bench.commits.roll_back(pending)
    assert ssh_enabled(bench) and bench.commits.pending is None
    assert not bench.commits.file.path.exists()
    rolled = [event for event in bench.seen if event.kind == "config.rolled_back"]
    assert len(rolled) == 1 and "SSH would be disabled" in rolled[0].message
    audit = list(bench.store.audit.entries())[-1]
    assert (audit.who, audit.key, audit.old, audit.new) == (
        "rollback", "services.ssh.enabled", False, True,
    )  # fmt: skip


def test_a_new_session_confirms_and_the_change_stays(bench: Bench) -> None:
    commit_confirmed(bench, ssh_session())
    pending = bench.commits.pending
    assert pending is not None
    answer = bench.interpreter().run("config confirm", Session("admin", "admin", "console"))
    assert answer.text == "confirmed: the commit of admin from 192.0.2.9 stays"
    assert bench.alarms == [] and not bench.commits.file.path.exists()
    assert not bench.commits.roll_back(pending), "a late timer must not undo a confirmation"
    assert not ssh_enabled(bench) and "config.confirmed" in kinds(bench)


def test_the_committing_session_cannot_confirm(bench: Bench) -> None:
    session = ssh_session()
    commit_confirmed(bench, session)
    shell = bench.interpreter()
    shell.run("services enable daytime", session)
    for line in ("config confirm", "config commit"):
        answer = shell.run(line, session).text
        assert "confirm it from a new session" in answer, line
    assert bench.commits.pending is not None and len(bench.alarms) == 1
    assert not bench.store.config.services.daytime.enabled


def test_a_plain_commit_with_nothing_staged_confirms(bench: Bench) -> None:
    commit_confirmed(bench, ssh_session())
    answer = bench.interpreter().run("config commit", ssh_session()).text
    assert answer.startswith("confirmed") and bench.commits.pending is None


def test_a_further_commit_from_another_session_confirms_first(bench: Bench) -> None:
    commit_confirmed(bench, ssh_session())
    shell, console = bench.interpreter(), Session("admin", "admin", "console")
    shell.run("services enable daytime", console)
    answer = shell.run("config commit", console).text
    assert answer == (
        "committed services.daytime.enabled\nconfirmed the pending commit of admin from 192.0.2.9"
    )
    assert bench.commits.pending is None and bench.alarms == []
    assert not ssh_enabled(bench) and bench.store.config.services.daytime.enabled


def test_a_monitor_cannot_confirm(bench: Bench) -> None:
    commit_confirmed(bench, ssh_session())
    answer = bench.interpreter().run("config confirm", ssh_session(role="monitor")).text
    assert answer.startswith("permission denied") and bench.commits.pending is not None


def test_nothing_to_confirm(bench: Bench) -> None:
    assert bench.run("config confirm") == "nothing to confirm"
    assert bench.run("config commit") == "nothing staged"


def test_the_seconds_are_checked(bench: Bench) -> None:
    shell, session = bench.interpreter(), ssh_session()
    shell.run("config set services.ssh.enabled false", session)
    for line in ("config commit confirmed 0", "config commit confirmed 3601",
                 "config commit confirmed soon", "config commit confirmed 5 6"):  # fmt: skip
        assert shell.run(line, session).text.startswith("usage: confirmed takes"), line
    assert shell.run("config commit later", session).text.startswith("usage: config")
    assert ssh_enabled(bench) and bench.commits.pending is None


def test_a_refused_commit_confirmed_arms_nothing(bench: Bench) -> None:
    shell, session = bench.interpreter(), ssh_session()
    # Staged changes are checked again at commit: what they name can change in between.
    session.staged["services.ssh.port"] = 0
    assert shell.run("config commit confirmed", session).text.startswith("refused")
    assert bench.commits.pending is None and bench.alarms == []
    assert not bench.commits.file.path.exists()


def test_a_restart_before_the_confirmation_rolls_back(bench: Bench) -> None:
    """The rollback is kept in the data directory: the next start carries it out."""
    commit_confirmed(bench, ssh_session())
    store = ConfigStore(bench.store.path, SERVICE_NAMES, AuditLog(bench.store.audit.path),
                        bench.clock)  # fmt: skip
    assert not store.load().services.ssh.enabled
    restarted = ConfirmedCommits(
        store, RollbackFile(bench.commits.file.path), bench.bus, bench.clock,
        bench.alarms.append, bench.expired.append,  # type: ignore[arg-type]
    )  # fmt: skip
    recovered = restarted.recover()
    assert recovered is not None and store.config.services.ssh.enabled
    on_disk = tomllib.loads(store.path.read_text())
    assert on_disk.get("services", {}).get("ssh", {}).get("enabled", True)
    assert not bench.commits.file.path.exists()
    assert restarted.recover() is None


def test_a_broken_rollback_file_is_reported_not_fatal(bench: Bench) -> None:
    bench.commits.file.path.write_text("previous = 'not a table'\n")
    assert bench.commits.recover() is None
    failed = [event for event in bench.seen if event.kind == "config.rollback_failed"]
    assert failed and "rollback.toml" in failed[0].message
    assert not bench.commits.file.path.exists() and ssh_enabled(bench)


def test_a_factory_reset_abandons_the_rollback(bench: Bench) -> None:
    """The reset erases the config; a rollback afterwards would write the old one back."""
    commit_confirmed(bench, ssh_session())
    pending = bench.commits.pending
    assert pending is not None
    bench.commits.abandon()
    assert bench.alarms == [] and not bench.commits.roll_back(pending)
    assert not ssh_enabled(bench)
