"""A console session: login prompt, password (changed at first login), then the command line.

Free of I/O: bytes from the terminal in, bytes for the terminal out. The serial console and
telnet run it from the login prompt; SSH, which authenticates by itself, starts it logged in.
`feed` is a coroutine only so that password hashing can run in a thread, off the event loop.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable

from firmware.admin.authenticate import Authenticator
from firmware.admin.guard import LoginGuard
from firmware.admin.line_editor import LineEditor
from firmware.admin.passwords import PasswordError, check_policy
from firmware.admin.shell import Origin, Session, Shell, Status
from firmware.admin.users import UserStore
from firmware.base.events import EventBus, Severity
from hal.clock import Clock


class LoginSession:
    def __init__(
        self,
        users: UserStore,
        events: EventBus,
        interpreter: Shell,
        origin: Origin,
        guard: LoginGuard,
        clock: Clock,
    ) -> None:
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

    async def _line(self, line: str) -> bytes:
        handlers: dict[str, Callable[[str], Awaitable[str]]] = {
            "user": self._user,
            "password": self._password,
            "old": self._old_password,
            "new": self._new_password,
            "confirm": self._confirm,
            "shell": self._shell,
        }
        return (await handlers[self.state](line)).replace("\n", "\r\n").encode()

    def _enter(self, state: str, secret: bool) -> None:
        self.state = state
        completer = self.interpreter.complete if state == "shell" else None
        history = self.editor.history if state == "shell" else []
        self.editor = LineEditor(secret=secret, completer=completer, history=history)

    def _fields(self) -> dict[str, str]:
        return {"user": self.user, "source": self.source}

    async def _user(self, line: str) -> str:
        self.user = line.strip()
        if not self.user:
            return "login: "
        self._enter("password", secret=True)
        return "Password: "

    async def _password(self, line: str) -> str:
        login = Authenticator(self.users, self.guard, self.events, self.clock)
        if await login.check(self.user, line, self.source) is None:
            self._enter("user", secret=False)
            return "Login incorrect\n\nlogin: "
        return self._logged_in()

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
        if await self.users.check_off_loop(self.user, line) is None:
            self.events.emit(
                "password.change_failed", Severity.WARNING,
                f"{self.user} gave a wrong current password from {self.source}",
                self._fields(), security=True,
            )  # fmt: skip
            return "Wrong password.\n" + self._prompt()
        self._enter("new", secret=True)
        return "New password: "

    async def _new_password(self, line: str) -> str:
        try:
            check_policy(line)
        except PasswordError as exc:
            return f"{exc}\nNew password: "
        self.pending = line
        self._enter("confirm", secret=True)
        return "Retype new password: "

    async def _confirm(self, line: str) -> str:
        if line != self.pending:
            self.pending = ""
            self._enter("new", secret=True)
            return "Passwords do not match.\nNew password: "
        await self.users.set_password_off_loop(self.user, line)
        self.pending = ""
        self.events.emit(
            "password.changed", Severity.NOTICE, f"{self.user} changed their password",
            self._fields(), security=True,
        )  # fmt: skip
        return "Password changed.\n" + self._prompt()

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
