"""A console session: login prompt, password (changed at first login), then the command line.

Free of I/O: bytes from the terminal in, bytes for the terminal out. The serial console and
telnet run it over their transports.
"""

from __future__ import annotations

from firmware.admin.commands import Interpreter
from firmware.admin.line_editor import LineEditor
from firmware.admin.passwords import PasswordError, check_policy
from firmware.admin.users import UserStore
from firmware.events import EventBus, Severity


class LoginSession:
    def __init__(
        self, users: UserStore, events: EventBus, interpreter: Interpreter, source: str
    ) -> None:
        self.users = users
        self.events = events
        self.interpreter = interpreter
        self.source = source
        self.state = "user"
        self.user = ""
        self.pending = ""
        self.editor = LineEditor()

    def greeting(self) -> bytes:
        return f"\r\n{self.interpreter.hostname} time server\r\n\r\nlogin: ".encode()

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        echo, lines = self.editor.feed(data)
        out += echo
        for line in lines:
            out += self._line(line)
        return bytes(out)

    def _line(self, line: str) -> bytes:
        handlers = {
            "user": self._user,
            "password": self._password,
            "new": self._new_password,
            "confirm": self._confirm,
            "shell": self._shell,
        }
        return handlers[self.state](line).replace("\n", "\r\n").encode()

    def _enter(self, state: str, secret: bool) -> None:
        self.state = state
        completer = self.interpreter.complete if state == "shell" else None
        history = self.editor.history if state == "shell" else []
        self.editor = LineEditor(secret=secret, completer=completer, history=history)

    def _user(self, line: str) -> str:
        self.user = line.strip()
        if not self.user:
            return "login: "
        self._enter("password", secret=True)
        return "Password: "

    def _password(self, line: str) -> str:
        account = self.users.check(self.user, line)
        fields = {"user": self.user, "source": self.source}
        if account is None:
            self.events.emit(
                "login.failed",
                Severity.WARNING,
                f"failed login for {self.user!r} from {self.source}",
                fields,
                security=True,
            )
            self._enter("user", secret=False)
            return "Login incorrect\n\nlogin: "
        self.events.emit(
            "login.ok", Severity.NOTICE, f"{self.user} logged in from {self.source}", fields,
            security=True,
        )  # fmt: skip
        if account.must_change_password:
            self._enter("new", secret=True)
            return "The one-time password must be changed now.\nNew password: "
        return self._shell_prompt()

    def _new_password(self, line: str) -> str:
        try:
            check_policy(line)
        except PasswordError as exc:
            return f"{exc}\nNew password: "
        self.pending = line
        self._enter("confirm", secret=True)
        return "Retype new password: "

    def _confirm(self, line: str) -> str:
        if line != self.pending:
            self.pending = ""
            self._enter("new", secret=True)
            return "Passwords do not match.\nNew password: "
        self.users.set_password(self.user, line)
        self.pending = ""
        self.events.emit(
            "password.changed", Severity.NOTICE, f"{self.user} changed their password",
            {"user": self.user, "source": self.source}, security=True,
        )  # fmt: skip
        return "Password changed.\n" + self._shell_prompt()

    def _shell_prompt(self) -> str:
        self._enter("shell", secret=False)
        return f"{self.user}@{self.interpreter.hostname}> "

    def _shell(self, line: str) -> str:
        reply = self.interpreter.run(line, self.user)
        text = f"{reply.text}\n" if reply.text else ""
        if reply.logout:
            self.events.emit(
                "logout", Severity.INFO, f"{self.user} logged out from {self.source}",
                {"user": self.user, "source": self.source},
            )  # fmt: skip
            self.user = ""
            self._enter("user", secret=False)
            return text + "\nlogin: "
        return text + f"{self.user}@{self.interpreter.hostname}> "
