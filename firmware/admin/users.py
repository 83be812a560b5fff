"""The account file: user names, roles and password hashes, never a password."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from firmware.admin.passwords import hash_password, verify_password
from firmware.atomic_file import write_atomic

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
        users = self.load()
        users[name] = replace(users[name], password_hash=hash_password(password),
                              must_change_password=False)  # fmt: skip
        self.save(users)

    def check(self, name: str, password: str) -> User | None:
        """The user when the password is right; the same work is done for unknown names."""
        users = self.load() if self.exists() else {}
        user = users.get(name)
        if user is None:
            verify_password(password, _DECOY)
            return None
        return user if verify_password(password, user.password_hash) else None


_DECOY = hash_password("decoy password for unknown users")
