"""The SSH service: each connection logs in through the login guard, then gets the same
command line as the serial console, with line editing, or runs one command (`ssh host status`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncssh

from firmware.admin.authenticate import Authenticator
from firmware.admin.guard import LoginGuard
from firmware.admin.login import LoginSession
from firmware.admin.shell import Origin, connection_origin
from firmware.admin.users import UserStore
from firmware.base.access import AccessRules
from firmware.base.admission import admit
from firmware.base.config.schema import SshSection
from firmware.base.events import EventBus, Severity
from firmware.base.service import StartError
from hal.clock import Clock
from services.ssh.upload import UploadArea

# Only modern algorithms: no SHA-1 anywhere, no CBC, no DH groups under 2048 bits.
KEX = ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp521",
       "ecdh-sha2-nistp384", "ecdh-sha2-nistp256", "diffie-hellman-group16-sha512",
       "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256"]  # fmt: skip
CIPHERS = ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
           "aes256-ctr", "aes192-ctr", "aes128-ctr"]  # fmt: skip
MACS = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
        "umac-128-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"]  # fmt: skip
SIGNATURES = ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]
LOGIN_TIMEOUT_S = 60


class SshLogin(asyncssh.SSHServer):
    """One connection's authentication: the allow-list, then the guard, then the password
    or an authorized key from the data directory. A locked source (or account) is refused
    either way; a connection that offers only unknown keys counts as one failed login."""

    def __init__(self, service: SshService) -> None:
        self.service = service
        self.peer = "?"
        self.user = ""
        self.key_failed = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername")
        self.peer = str(peer[0]) if peer else "?"
        if not admit(self.service.access, self.service.events, "ssh", self.peer):
            conn.close()

    def begin_auth(self, username: str) -> bool:
        self.user = username
        return True

    def auth_completed(self) -> None:
        # Only here is a key proven (its signature checked): a known public key offered
        # without the private one must not reset the failure count.
        self.service.guard.succeeded(self.user, self.peer)

    def password_auth_supported(self) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        service = self.service
        now = service.clock.now_ns()
        if service.guard.locked(username, self.peer, now):
            self._failed(username, "locked out", now, count=False)
            return False
        if _authorized(service.authorized_keys / username, key, self.peer):
            return True
        if not self.key_failed:  # a client tries each of its keys in turn: one failure
            self.key_failed = True
            fingerprint = key.get_fingerprint()
            self._failed(username, f"public key {fingerprint} not authorized", now, count=True)
        return False

    async def validate_password(self, username: str, password: str) -> bool:
        service = self.service
        login = Authenticator(service.users, service.guard, service.events, service.clock)
        return await login.check(username, password, self.peer, "SSH ") is not None

    def _failed(self, username: str, why: str, now_ns: int, count: bool) -> None:
        self.service.events.emit(
            "login.failed", Severity.WARNING,
            f"failed SSH login for {username!r} from {self.peer}: {why}",
            {"user": username, "source": self.peer}, security=True,
        )  # fmt: skip
        if count:
            self.service.guard.failed(username, self.peer, now_ns)


def _authorized(path: Path, key: asyncssh.SSHKey, peer: str) -> bool:
    """Whether the user's authorized_keys file (read at each attempt) lists the key."""
    if not path.is_file():
        return False
    try:
        keys = asyncssh.read_authorized_keys(str(path))
    except (OSError, ValueError, asyncssh.KeyImportError):
        return False
    return keys.validate(key, peer, peer) is not None


class SshService:
    name = "ssh"

    def __init__(
        self,
        section: SshSection,
        host_keys: list[Path],
        authorized_keys: Path,
        users: UserStore,
        guard: LoginGuard,
        events: EventBus,
        clock: Clock,
        sessions: Callable[[Origin], LoginSession],
        idle_timeout_s: int,
        upload: Path | None = None,
        upload_limit: int = 0,
    ) -> None:
        """`upload`: the directory SFTP writes into (admins only), at most `upload_limit`
        bytes in all; None for no SFTP."""
        self.section = section
        self.upload = upload
        self.upload_limit = upload_limit
        self.host_keys = host_keys
        self.authorized_keys = authorized_keys
        self.users = users
        self.guard = guard
        self.events = events
        self.clock = clock
        self.sessions = sessions
        self.idle_timeout_s = idle_timeout_s
        self.access = AccessRules([], section.allow)
        self.server: asyncssh.SSHAcceptor | None = None
        self.closed = asyncio.Event()
        self.sessions_run = 0

    async def start(self) -> None:
        self.closed = asyncio.Event()
        keys = asyncssh.load_keypairs([str(path) for path in self.host_keys])
        for keypair in keys:
            # An RSA host key offers ssh-rsa (SHA-1 signatures) too unless told otherwise.
            allowed = [a for a in keypair.host_key_algorithms if a.decode() in SIGNATURES]
            keypair.host_key_algorithms = allowed
        options = asyncssh.SSHServerConnectionOptions(
            server_host_keys=keys,
            kex_algs=KEX, encryption_algs=CIPHERS, mac_algs=MACS,
            signature_algs=SIGNATURES, compression_algs=["none"],
            process_factory=self._process, encoding=None, line_editor=False,
            allow_scp=False, agent_forwarding=False, x11_forwarding=False,
            login_timeout=LOGIN_TIMEOUT_S, config=None, sftp_factory=self._sftp(),
        )  # fmt: skip
        try:
            self.server = await asyncssh.create_server(
                lambda: SshLogin(self), self.section.bind, self.section.port,
                options=options, reuse_address=True,
            )  # fmt: skip
        except OSError as exc:
            places = ", ".join(self.section.bind)
            raise StartError(
                f"cannot listen on {places} port {self.section.port}/tcp: {exc}"
            ) from exc

    def _sftp(self) -> Callable[[asyncssh.SSHServerChannel[bytes]], UploadArea] | None:
        upload = self.upload
        if upload is None:
            return None
        upload.mkdir(mode=0o700, exist_ok=True)

        def is_admin(name: str) -> bool:
            user = self.users.load().get(name)
            return user is not None and user.role == "admin"

        return lambda chan: UploadArea(chan, upload, self.upload_limit, is_admin, self.events)

    async def _process(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        user = process.get_extra_info("username")
        session = self.sessions(connection_origin("ssh", process.get_extra_info))
        self.sessions_run += 1
        greeting = session.start_authenticated(user)
        try:
            if process.command:
                await self._one_command(process, session, greeting)
            else:
                await self._interactive(process, session, greeting)
        except (asyncssh.Error, OSError, BrokenPipeError):
            pass
        finally:
            if not process.is_closing():
                process.exit(0)

    async def _one_command(
        self, process: asyncssh.SSHServerProcess[bytes], session: LoginSession, greeting: bytes
    ) -> None:
        """`ssh host COMMAND`: the answer, and the command's status as the exit status (0 done,
        1 failed or refused, 2 a usage error), so scripts can tell."""
        if session.state != "shell":
            process.stderr.write(b"the password must be changed first: log in interactively\r\n")
            process.exit(1)
            return
        answer, status = session.run_once(process.command or "")
        process.stdout.write(answer.replace(b"\r\n", b"\n"))
        process.exit(int(status))

    async def _interactive(
        self, process: asyncssh.SSHServerProcess[bytes], session: LoginSession, greeting: bytes
    ) -> None:
        process.stdout.write(greeting)
        while not session.closed:
            try:
                data = await asyncio.wait_for(process.stdin.read(1024), self.idle_timeout_s)
            except TimeoutError:
                process.stdout.write(b"\r\nidle too long; bye\r\n")
                break
            if not data:
                break
            process.stdout.write(await session.feed(data))
        process.exit(0)

    async def wait(self) -> None:
        await self.closed.wait()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def status(self) -> dict[str, object]:
        places = ", ".join(f"{a}:{self.section.port}" for a in self.section.bind)
        return {"listening": places, "sessions": self.sessions_run}
