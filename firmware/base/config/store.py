"""The config file on disk: validated, changed key by key, written atomically and audited."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from firmware.base.atomic_file import remove_stale_temporaries, write_atomic
from firmware.base.config.audit import AuditLog
from firmware.base.config.layout import render
from firmware.base.config.load import ConfigError, parse_config, parse_document, read_text
from firmware.base.config.schema import Config
from firmware.base.config.secrets import REDACTED, is_secret, redacted, scrub
from hal.clock import Clock

__all__ = ["FACTORY_CONFIG", "ConfigStore", "is_secret", "redacted"]

FACTORY_CONFIG = (
    b"# Written at first boot: every key has its default (see docs/config.md).\n"
    b"# Change keys with `config set` and `config commit` on a console (comments here are\n"
    b"# kept), or edit and send SIGHUP.\n"
)


class ConfigStore:
    """Keeps the document the user wrote (not the defaults) so later defaults still apply,
    and the file's text, so that a change is written back with the file's comments."""

    def __init__(
        self, path: Path, available: Iterable[str], audit: AuditLog, clock: Clock,
        check: Callable[[Config, list[str]], list[str]] | None = None,
    ) -> None:  # fmt: skip
        """`check(new, changed_keys)` returns one line per problem a commit must not make,
        such as a named file the appliance cannot use (the composition root supplies it)."""
        self.check = check
        self.path = path
        self.available = frozenset(available)
        self.audit = audit
        self.clock = clock
        self.document: dict[str, Any] = {}
        self.text = ""
        """The file as last read or written: the layout that changes are written into."""
        self.config = parse_config({}, str(path), self.available)

    def load(self, first_boot: bool = False) -> Config:
        """Read the file; on any problem raise ConfigError and keep what was loaded before.

        A missing file is a problem too, except at `first_boot`, which writes the factory
        config (every default) so that from then on the file must be there.
        """
        if first_boot and not self.path.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(self.path, FACTORY_CONFIG)
        text = read_text(self.path)
        document = parse_document(text, self.path)
        self.config = parse_config(document, str(self.path), self.available)
        self.document, self.text = document, text
        return self.config

    def preview(self, changes: Mapping[str, Any], source: str | None = None) -> Config:
        """The config `changes` would make, checked as `set` checks it; nothing is written.
        Problems name `source` (default: the file) before the key, as the loader does."""
        return self._prepare(changes, source)[1]

    def set(self, changes: Mapping[str, Any], who: str, source: str) -> Config:
        """Apply `{"services.ntp.port": 1123, ...}` as one change, or raise ConfigError."""
        document, new = self._prepare(changes)
        self._write(document, new, list(changes), who, source)
        return new

    def replace(self, document: dict[str, Any], who: str, source: str) -> Config:
        """Put back a whole document (a rollback); every key that changes is audited. Named
        files are not checked: going back must not depend on them."""
        new = parse_config(document, str(self.path), self.available)
        self._write(copy.deepcopy(document), new, _changed(self.config, new), who, source)
        return new

    def _prepare(
        self, changes: Mapping[str, Any], source: str | None = None
    ) -> tuple[dict[str, Any], Config]:
        document = copy.deepcopy(self.document)
        for key, value in changes.items():
            _put(document, key, value)
        new = parse_config(document, str(self.path) if source is None else source, self.available)
        problems = self.check(new, list(changes)) if self.check else []
        if problems:
            raise ConfigError(problems)
        return document, new

    def _write(
        self, document: dict[str, Any], new: Config, keys: list[str], who: str, source: str
    ) -> None:
        old = self.config
        remove_stale_temporaries(self.path)
        text = render(self.text, document)
        write_atomic(self.path, text.encode("utf-8"))
        self._record(old, new, keys, who, source)
        self.document, self.config, self.text = document, new, text

    def reload(self, who: str, source: str) -> Config:
        """Re-read a file edited by hand; every key that changed is audited."""
        old = self.config
        new = self.load()
        self._record(old, new, _changed(old, new), who, source)
        return new

    def _record(self, old: Config, new: Config, keys: list[str], who: str, source: str) -> None:
        now = self.clock.now_ns()
        for key in keys:
            secret = is_secret(Config, key)
            before = REDACTED if secret else scrub(Config, f"{key}.", _get(old, key))
            after = REDACTED if secret else scrub(Config, f"{key}.", _get(new, key))
            self.audit.record(now, who, source, key, before, after)


def _changed(old: Config, new: Config) -> list[str]:
    """The dotted keys whose values differ between two configs."""
    flat_old, flat_new = (
        _flatten(old.model_dump(mode="json")),
        _flatten(new.model_dump(mode="json")),
    )
    return [key for key in flat_new if flat_old.get(key) != flat_new[key]]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _put(document: dict[str, Any], key: str, value: Any) -> None:
    *tables, leaf = key.split(".")
    node = document
    for name in tables:
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise ConfigError([f"{key}: {name} is not a table"])
        node = child
    node[leaf] = value


def _get(config: BaseModel, key: str) -> object:
    """The value at a dotted key, as plain JSON data (tables and lists of tables too)."""
    node: object = config.model_dump(mode="json")
    for name in key.split("."):
        node = node.get(name) if isinstance(node, dict) else None
    return node
