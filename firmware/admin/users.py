"""The account file: user names, roles and password hashes, never a password."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from firmware.admin.passwords import (
    hash_password,
    hash_password_off_loop,
    verify_password,
    verify_password_off_loop,
)
from firmware.base.atomic_file import write_atomic

Role = Literal["admin", "monitor"]


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str
    must_change_password: bool


class UserStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> dict[str, User]:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {name: User(**fields) for name, fields in data.items()}

    def save(self, users: dict[str, User]) -> None:
        data = {name: asdict(user) for name, user in sorted(users.items())}
        write_atomic(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))

    def create(self, name: str, role: Role, password: str, must_change: bool) -> User:
        users = self.load() if self.exists() else {}
        user = User(name, role, hash_password(password), must_change)
        users[name] = user
        self.save(users)
        return user

    def set_password(self, name: str, password: str) -> None:
        """A password the user chose: it no longer needs changing."""
        self._store_hash(name, hash_password(password))

    async def set_password_off_loop(self, name: str, password: str) -> None:
        """set_password with the hashing in a thread; the file is read and written here, so
        that no other change to it can come in between."""
        self._store_hash(name, await hash_password_off_loop(password))

    def set_one_time(self, name: str, password: str) -> None:
        """A password an admin set for someone else: it must be changed at the next login."""
        self._store_hash(name, hash_password(password), must_change=True)

    async def recover_admin_off_loop(self, password: str) -> None:
        """Password recovery: the `admin` account, made again if it was removed, an admin
        once more, with this password."""
        password_hash = await hash_password_off_loop(password)
        users = self.load() if self.exists() else {}
        users["admin"] = User("admin", "admin", password_hash, False)
        self.save(users)

    def _store_hash(self, name: str, password_hash: str, must_change: bool = False) -> None:
        users = self.load()
        users[name] = replace(users[name], password_hash=password_hash,
                              must_change_password=must_change)  # fmt: skip
        self.save(users)

    def check(self, name: str, password: str) -> User | None:
        """The user when the password is right; the same work is done for unknown names."""
        user, stored = self._stored(name)
        return user if verify_password(password, stored) else None

    async def check_off_loop(self, name: str, password: str) -> User | None:
        """check with the hashing in a thread."""
        user, stored = self._stored(name)
        return user if await verify_password_off_loop(password, stored) else None

    def _stored(self, name: str) -> tuple[User | None, str]:
        """The user and the hash to check against: a decoy hash for an unknown name."""
        users = self.load() if self.exists() else {}
        user = users.get(name)
        return user, _DECOY if user is None else user.password_hash


_DECOY = hash_password("decoy password for unknown users")
