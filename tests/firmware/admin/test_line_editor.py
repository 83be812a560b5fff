"""Line editing as a terminal user sees it: rows of (keys typed, screen, lines returned)."""

import pytest

from firmware.admin.line_editor import LineEditor


def screen(echo: bytes) -> str:
    """What a terminal shows after the echo: apply backspaces and overwrite."""
    cells: list[str] = []
    column = 0
    for byte in echo.replace(b"\x07", b""):
        if byte == 0x08:
            column = max(0, column - 1)
        elif byte in (0x0D, 0x0A):
            continue
        else:
            if column < len(cells):
                cells[column] = chr(byte)
            else:
                cells.append(chr(byte))
            column += 1
    return "".join(cells).rstrip()


ROWS = [
    (b"status\r", ["status"]),
    (b"statsu\x7f\x7fus\r", ["status"]),
    (b"tatus\x01s\r", ["status"]),  # Ctrl-A, then insert at the start
    (b"stus\x1b[D\x1b[D\x1b[Dta\r", ["status"]),  # left arrows, insert in the middle
    (b"garbage\x15status\r\n", ["status"]),  # Ctrl-U kills, CRLF is one enter
    (b"half\x03status\n", ["status"]),  # Ctrl-C drops the line
    (b"a\rb\nc\r\n", ["a", "b", "c"]),
    (b"\x7f\x7fok\r", ["ok"]),  # backspace at the start only rings
    (b"x\x1b[Zy\r", ["xy"]),  # unknown escape sequences are swallowed
]


@pytest.mark.parametrize(("keys", "lines"), ROWS)
def test_editing(keys: bytes, lines: list[str]) -> None:
    editor = LineEditor()
    _, got = editor.feed(keys)
    assert got == lines


def test_screen_matches_the_line_after_mid_line_edits() -> None:
    editor = LineEditor()
    echo, _ = editor.feed(b"ntp keyz list\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x7fs")
    assert screen(echo) == editor.line == "ntp keys list"


def test_history_recall() -> None:
    editor = LineEditor()
    editor.feed(b"first\rsecond\r")
    _, lines = editor.feed(b"\x1b[A\x1b[A\r")
    assert lines == ["first"]
    echo, lines = editor.feed(b"\x1b[A\x1b[B\x1b[Bnew\r")
    assert lines == ["new"]


def test_secret_input_is_never_echoed_nor_kept() -> None:
    editor = LineEditor(secret=True)
    echo, lines = editor.feed(b"hunter2hunter2\x7f2\r")
    assert lines == ["hunter2hunter2"]
    assert b"hunter" not in echo and echo == b"\r\n"
    assert editor.history == []


def test_tab_completes_a_single_choice() -> None:
    commands = ["status", "services list", "syslog"]
    editor = LineEditor(completer=lambda text: [c for c in commands if c.startswith(text)])
    echo, _ = editor.feed(b"sta\t")
    assert editor.line == "status" and screen(echo) == "status"
    _, _ = editor.feed(b"\x15s\t")
    assert editor.line == "s"  # three choices: the bell rings, nothing changes


def test_overlong_lines_stop_growing() -> None:
    editor = LineEditor()
    _, lines = editor.feed(b"x" * 2000 + b"\r")
    assert len(lines[0]) == 512


def completer(commands: list[str]) -> LineEditor:
    return LineEditor(
        completer=lambda text: [c for c in commands if c.startswith(text)],
        describer=lambda text: [f"  {c}  note" for c in commands if c.startswith(text)],
        prompt="admin@ts-1> ",
    )


def test_tab_completes_as_far_as_the_choices_agree_and_a_second_tab_lists_them() -> None:
    editor = completer(["config set ", "config show ", "status "])
    echo, _ = editor.feed(b"con\t")
    assert editor.line == "config s" and screen(echo) == "config s"
    echo, _ = editor.feed(b"\t")
    assert echo == b"\r\nset   show\r\nadmin@ts-1> config s"
    echo, _ = editor.feed(b"\t")  # still listing: no bell in between
    assert b"set   show" in echo
    editor.feed(b"\x15st\t")
    assert editor.line == "status "
    editor.feed(b"\x15x\t")
    assert editor.feed(b"\t")[0] == b"\x07", "nothing fits: the bell, no listing"


def test_question_mark_lists_what_fits_and_redraws_the_line() -> None:
    editor = completer(["config set ", "config show ", "status "])
    echo, lines = editor.feed(b"config s?")
    assert echo.endswith(
        b"\r\npossible completions:\r\n  config set   note\r\n  config show   note\r\n"
        b"admin@ts-1> config s"
    )
    assert lines == [] and editor.line == "config s"
    _, lines = editor.feed(b' "what?"\r')
    assert lines == ['config s "what?"'], "inside quotes ? is itself"


def test_ctrl_c_drops_the_line_and_gives_a_fresh_prompt() -> None:
    editor = completer([])
    echo, lines = editor.feed(b"half a command\x03")
    assert echo.endswith(b"^C\r\nadmin@ts-1> ") and lines == [] and editor.line == ""
