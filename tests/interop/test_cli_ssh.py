"""The command line through OpenSSH in a terminal (pexpect), as a network engineer types it:
Tab completes config keys and scenario names, a second Tab and `?` list what fits, a unique
prefix runs, and Ctrl-C drops the line for a fresh prompt without ending the session."""

from collections.abc import Iterator

import pexpect
import pytest

from tests.interop.test_ssh import NO_CHECKS, PASSWORD, Box, boot
from tests.tools import require


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    booted, port = boot(tmp_path_factory.mktemp("cli"), None, PASSWORD)
    yield Box(booted, port, None)  # type: ignore[arg-type]
    booted.stop()


@pytest.fixture
def terminal(box: Box) -> Iterator[pexpect.spawn]:
    child = pexpect.spawn(
        require("sshpass"), ["-p", PASSWORD, require("ssh"), "-tt", "-p", str(box.port),
                             *NO_CHECKS, "-o", "PubkeyAuthentication=no", "admin@127.0.0.1"],
        timeout=15, encoding="utf-8",
    )  # fmt: skip
    child.expect("admin@.*> ")
    yield child
    child.close(force=True)


def test_tab_completes_config_keys_and_values(terminal: pexpect.spawn) -> None:
    terminal.send("config show serv\t")
    terminal.expect_exact("services.")
    terminal.send("nt\tpor\t\r")  # services.ntp., then services.ntp.port
    terminal.expect(r"\r\n(\d+)\r\n")
    assert int(terminal.match.group(1)) > 0
    terminal.expect("> ")
    terminal.send("config set gps.sim.scenario ant\t\t")  # two choices: a second Tab lists
    terminal.expect_exact("antenna_open   antenna_short")
    terminal.expect_exact("> config set gps.sim.scenario antenna_")
    terminal.send("\x15gps inj\tsatel\t\r")
    terminal.expect_exact("simulated receiver now in scenario satellites_lost")
    terminal.expect("> ")


def test_question_mark_and_unique_prefixes(terminal: pexpect.spawn) -> None:
    terminal.send("users remove ?")
    terminal.expect_exact("possible completions:")
    terminal.expect_exact("admin")
    terminal.expect_exact("> users remove ")
    terminal.send("\x15who\r")
    terminal.expect_exact("admin (admin)")
    terminal.send("stat\r")  # a unique prefix runs the command
    terminal.expect_exact("state ")
    terminal.send("s\r")
    terminal.expect_exact("ambiguous command 's': services, snmp, status, syslog")


def test_ctrl_c_gives_a_fresh_prompt_and_keeps_the_session(terminal: pexpect.spawn) -> None:
    terminal.send("config set services.ntp.port 1")
    terminal.send("\x03")
    terminal.expect_exact("^C\r\nadmin@")
    terminal.expect_exact("> ")
    terminal.send("whoami\r")
    terminal.expect_exact("admin (admin)")
    terminal.send("config diff\r")
    terminal.expect_exact("nothing staged")
    terminal.sendline("exit")
    terminal.expect(pexpect.EOF)
