"""A console session: login prompt, password (changed at first login), then the command line.

Free of I/O: bytes from the terminal in, bytes for the terminal out. The serial console and
telnet run it from the login prompt; SSH, which authenticates by itself, starts it logged in.
`feed` is a coroutine only so that password hashing can run in a thread, off the event loop.
"""

from __future__ import annotations

import hmac
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from firmware.admin.authenticate import Authenticator
from firmware.admin.guard import LoginGuard
from firmware.admin.line_editor import LineEditor
from firmware.admin.password_change import (
    current_password_ok,
    new_password_problem,
    store_new_password,
)
from firmware.admin.shell import CONSOLE, Origin, Session, Shell, Status
from firmware.admin.users import UserStore
from firmware.base.events import EventBus, Severity
from hal.clock import Clock

PROMPTS = {
    "user": "login: ",
    "password": "Password: ",
    "old": "Current password: ",
    "new": "New password: ",
    "confirm": "Retype new password: ",
    "serial": "Serial number: ",
}
"""What each state asks; the command line's prompt names the user and the appliance."""
RECOVERY_USER = "recovery"


@dataclass(frozen=True)
class Recovery:
    """Password recovery on the serial console: until `until_ns` (CLOCK_MONOTONIC, some
    minutes after the appliance starts), the user `recovery` who types the serial number
    (from the device's label or its boot banner) sets a new admin password. Being at the
    console within minutes of a power-on is the proof of physical access; it is audited."""

    serial: str
    until_ns: int
    monotonic: Callable[[], int] = time.monotonic_ns

    def open(self) -> bool:
        return self.monotonic() < self.until_ns


class LoginSession:
    def __init__(
        self,
        users: UserStore,
        events: EventBus,
        interpreter: Shell,
        origin: Origin,
        guard: LoginGuard,
        clock: Clock,
        recovery: Recovery | None = None,
    ) -> None:
        self.recovery = recovery
        self.recovering = False
        self.users = users
        self.events = events
        self.interpreter = interpreter
        self.origin = origin
        self.source = origin.source
        self.guard = guard
        self.clock = clock
        self.state = "user"
        self.user = ""
        self.session: Session | None = None
        self.pending = ""
        self.closed = False
        self.editor = LineEditor()

    def greeting(self) -> bytes:
        return f"\r\n{self.interpreter.hostname} time server\r\n\r\nlogin: ".encode()

    def start_authenticated(self, user: str) -> bytes:
        """For transports that authenticated the user already (SSH)."""
        self.user = user
        return self._logged_in().replace("\n", "\r\n").encode()

    def run_once(self, line: str) -> tuple[bytes, Status]:
        """A command line without a terminal (`ssh host status`): one command, or several
        separated by ';' (`ssh host 'services enable daytime; config commit'`), run in this
        one session so that what they stage can be committed. It stops at the first that
        does not succeed. The answers, and how the last command run ended."""
        assert self.session is not None
        try:
            commands = split_commands(line)
        except ValueError as exc:
            return f"error: {exc}\r\n".encode(), Status.USAGE
        out, status = bytearray(), Status.OK
        for command in commands:
            reply = self.interpreter.run(command, self.session)
            if reply.action == "passwd":
                return bytes(out) + b"error: passwd needs an interactive session\r\n", Status.FAILED
            out += (reply.text + "\n").replace("\n", "\r\n").encode() if reply.text else b""
            status = reply.status
            if status != Status.OK:
                break
        return bytes(out), status

    async def feed(self, data: bytes) -> bytes:
        out = bytearray()
        echo, lines = self.editor.feed(data)
        out += echo
        for line in lines:
            out += await self._line(line)
        return bytes(out)

    def interrupt(self) -> bytes:
        """Ctrl-C sent out of band (telnet's Interrupt Process): as if typed."""
        echo, _ = self.editor.feed(b"\x03")
        return echo

    async def _line(self, line: str) -> bytes:
        handlers: dict[str, Callable[[str], Awaitable[str]]] = {
            "user": self._user,
            "password": self._password,
            "old": self._old_password,
            "new": self._new_password,
            "confirm": self._confirm,
            "serial": self._serial,
            "shell": self._shell,
        }
        return (await handlers[self.state](line)).replace("\n", "\r\n").encode()

    def _enter(self, state: str, secret: bool) -> None:
        self.state = state
        shell = state == "shell"
        self.editor = LineEditor(
            secret=secret,
            completer=self.interpreter.complete if shell else None,
            describer=self.interpreter.describe if shell else None,
            prompt=PROMPTS.get(state, f"{self.user}@{self.interpreter.hostname}> "),
            history=self.editor.history if shell else [],
        )

    def _fields(self) -> dict[str, str]:
        return {"user": self.user, "source": self.source}

    async def _user(self, line: str) -> str:
        self.user = line.strip()
        if not self.user:
            return "login: "
        notice = self._console_lock_notice()
        if notice:
            return f"{notice}\nlogin: "
        if self.user == RECOVERY_USER and self.recovery is not None and self.recovery.open():
            self._enter("serial", secret=False)
            return (
                "Password recovery: sets a new password for the account admin.\n"
                "Type this appliance's serial number (on its label and in its boot banner).\n"
                "Serial number: "
            )
        self._enter("password", secret=True)
        return "Password: "

    async def _serial(self, line: str) -> str:
        assert self.recovery is not None
        if not self.recovery.open() or not hmac.compare_digest(
            line.strip().upper().encode(), self.recovery.serial.upper().encode()
        ):
            self.events.emit(
                "login.failed", Severity.WARNING,
                f"failed password recovery from {self.source}: wrong serial number or too late",
                self._fields(), security=True,
            )  # fmt: skip
            self.guard.failed(self.user, self.source, self.clock.now_ns())
            self._enter("user", secret=False)
            notice = self._console_lock_notice()
            return (
                f"Recovery refused\n{notice}\nlogin: " if notice else "Recovery refused\n\nlogin: "
            )
        self.recovering = True
        self._enter("new", secret=True)
        return "New password for admin: "

    async def _password(self, line: str) -> str:
        login = Authenticator(self.users, self.guard, self.events, self.clock)
        if await login.check(self.user, line, self.source) is None:
            self._enter("user", secret=False)
            notice = self._console_lock_notice()
            return f"Login incorrect\n{notice}\nlogin: " if notice else "Login incorrect\n\nlogin: "
        return self._logged_in()

    def _console_lock_notice(self) -> str:
        """On the serial console, the person at it learns that it is locked and for how long;
        a network client is only told its login was incorrect."""
        if self.origin.transport != CONSOLE.transport:
            return ""
        left = self.guard.seconds_left(self.user, self.source, self.clock.now_ns())
        if not left:
            return ""
        return f"The console is locked for {left} s more after too many failed logins."

    def _logged_in(self) -> str:
        account = self.users.load()[self.user]
        self.session = Session(self.user, account.role, self.source, origin=self.origin)
        self.events.emit(
            "login.ok", Severity.NOTICE, f"{self.user} logged in from {self.source}",
            self._fields(), security=True,
        )  # fmt: skip
        if account.must_change_password:
            self._enter("new", secret=True)
            return "The one-time password must be changed now.\nNew password: "
        return self._prompt()

    async def _old_password(self, line: str) -> str:
        if not await current_password_ok(self.users, self.events, self.user, self.source, line):
            return "Wrong password.\n" + self._prompt()
        self._enter("new", secret=True)
        return "New password: "

    async def _new_password(self, line: str) -> str:
        problem = new_password_problem(line)
        if problem:
            return f"{problem}\nNew password: "
        self.pending = line
        self._enter("confirm", secret=True)
        return "Retype new password: "

    async def _confirm(self, line: str) -> str:
        if new_password_problem(self.pending, line):
            self.pending = ""
            self._enter("new", secret=True)
            return "Passwords do not match.\nNew password: "
        if self.recovering:
            return await self._recovered(line)
        await store_new_password(self.users, self.events, self.user, self.source, line)
        self.pending = ""
        return "Password changed.\n" + self._prompt()

    async def _recovered(self, password: str) -> str:
        await self.users.recover_admin_off_loop(password)
        self.pending, self.recovering = "", False
        self.guard.succeeded("admin", self.source)
        self.events.emit(
            "admin.password_recovered", Severity.WARNING,
            f"admin password reset by password recovery on the {self.source}",
            self._fields(), security=True,
        )  # fmt: skip
        self.user = ""
        self._enter("user", secret=False)
        return "The admin password is set. Log in as admin.\n\nlogin: "

    def _prompt(self) -> str:
        self._enter("shell", secret=False)
        return f"{self.user}@{self.interpreter.hostname}> "

    async def _shell(self, line: str) -> str:
        assert self.session is not None
        reply = self.interpreter.run(line, self.session)
        text = f"{reply.text}\n" if reply.text else ""
        if reply.action == "passwd":
            self._enter("old", secret=True)
            return text + "Current password: "
        if reply.logout:
            self.events.emit(
                "logout", Severity.INFO, f"{self.user} logged out from {self.source}",
                self._fields(),
            )  # fmt: skip
            self.user, self.session, self.closed = "", None, True
            self._enter("user", secret=False)
            return text + "\nlogin: "
        return text + f"{self.user}@{self.interpreter.hostname}> "


def split_commands(line: str) -> list[str]:
    """The commands of a line separated by ';' (a quoted ';' stays in its word); ValueError
    for an unclosed quote."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) == {";"}:
            commands.append([])
        else:
            commands[-1].append(token)
    return [shlex.join(words) for words in commands if words] or [""]
