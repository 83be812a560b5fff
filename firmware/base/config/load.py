"""Reading a config file into the typed schema, with one readable line per problem."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from firmware.base.config.schema import SERVICE_NAMES, Config
from firmware.base.config.secrets import REDACTED, is_secret
from firmware.base.small_file import UnreadableFile, read_regular_file


class ConfigError(Exception):
    """A config that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_config(path: Path, available: Iterable[str], missing_ok: bool = False) -> Config:
    """Read and check `path`; a missing file is an error unless `missing_ok` (every default)."""
    return parse_config(read_document(path, missing_ok), str(path), available)


def read_document(path: Path, missing_ok: bool = False) -> dict[str, Any]:
    """The TOML document in `path` as written ({} for a missing file when `missing_ok`).

    Only a regular file of at most 1 MiB is read, and no message quotes its content.
    """
    return parse_document(read_text(path, missing_ok), path)


def read_text(path: Path, missing_ok: bool = False) -> str:
    """The text of a config file ("" for a missing file when `missing_ok`)."""
    try:
        return read_regular_file(path).decode("utf-8")
    except UnreadableFile as exc:
        if exc.missing and missing_ok:
            return ""
        raise ConfigError([str(exc)]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text"]) from exc


def parse_document(text: str, path: Path) -> dict[str, Any]:
    """The TOML document in `text`, read from `path`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    except RecursionError as exc:
        raise ConfigError([f"{path}: nested deeper than the config allows"]) from exc


def _depth(annotation: Any) -> int:
    """How deeply a value of this type nests tables and arrays (a plain value: 0)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields.values()
        return 1 + max((_depth(field.annotation) for field in fields), default=0)
    origin = get_origin(annotation)
    if origin is Annotated:
        return _depth(get_args(annotation)[0])
    if origin in (list, tuple, dict):
        return 1 + max((_depth(arg) for arg in get_args(annotation)), default=0)
    return 0


def _nesting(value: object, limit: int) -> int:
    """The nesting of a decoded value, counted no further than `limit` + 1."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((_nesting(item, limit - 1) for item in items), default=0)


MAX_DEPTH = _depth(Config)


def parse_config(data: Mapping[str, Any], source: str, available: Iterable[str]) -> Config:
    """Check a decoded config against the schema and against what this build can run. Each
    problem line starts with `source` (the file), unless it is empty."""
    prefix = f"{source}: " if source else ""
    if _nesting(data, MAX_DEPTH) > MAX_DEPTH:
        raise ConfigError([f"{prefix}nested deeper than the config allows ({MAX_DEPTH})"])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{prefix}{describe_error(e)}" for e in exc.errors()]) from exc
    return _apply_availability(config, data, prefix, frozenset(available))


def _apply_availability(
    config: Config, data: Mapping[str, Any], prefix: str, available: frozenset[str]
) -> Config:
    """Services not in this build default to off, and asking for one is an error."""
    problems: list[str] = []
    updates: dict[str, Any] = {}
    for name in SERVICE_NAMES:
        if name in available:
            continue
        section = getattr(config.services, name)
        asked = data.get("services", {}).get(name, {}).get("enabled", False)
        if asked:
            offered = ", ".join(sorted(available)) or "none"
            problems.append(
                f"{prefix}services.{name}.enabled: true: {name} is not available in this "
                f"build (available: {offered})"
            )
        elif section.enabled:
            updates[name] = section.model_copy(update={"enabled": False})
    if problems:
        raise ConfigError(problems)
    services = config.services.model_copy(update=updates)
    return config.model_copy(update={"services": services})


def describe_error(error: ErrorDetails) -> str:
    """One line naming the key path, the bad value and what is allowed."""
    loc = error["loc"]
    path = ".".join(str(part) for part in loc) or "(top level)"
    kind = error["type"]
    given = error.get("input")
    value = REDACTED if is_secret(Config, _key(loc)) else _show(given)
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(Config, loc[:-1])) or "none"
        return f"{path}: unknown key (allowed here: {allowed})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(_field_at(Config, loc))
        return f"{path}: {value} is out of range {low}..{high}"
    if kind == "missing":
        return f"{path}: required key is missing"
    if isinstance(given, dict):  # a table's own check: the message names what is wrong
        return f"{path}: {_message(error)}"
    return f"{path}: {value}: {_message(error)}"


def _message(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    return f"{message[0].lower()}{message[1:]}"


def _key(loc: tuple[int | str, ...]) -> str:
    """The dotted key of an error location; the items of a list share their list's key."""
    return ".".join(part for part in loc if isinstance(part, str))


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _walk(model: type[BaseModel], loc: tuple[int | str, ...]) -> FieldInfo | type[BaseModel] | None:
    """Follow a pydantic error location through nested tables; list indexes are skipped."""
    current: FieldInfo | type[BaseModel] = model
    for part in loc:
        if isinstance(part, int):
            continue
        table = current if isinstance(current, type) else current.annotation
        if not (isinstance(table, type) and issubclass(table, BaseModel)):
            return None
        field = table.model_fields.get(part)
        if field is None:
            return None
        current = field
    return current


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    found = _walk(model, loc)
    table = found if isinstance(found, type) else found.annotation if found else None
    if isinstance(table, type) and issubclass(table, BaseModel):
        return list(table.model_fields)
    return []


def _field_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> FieldInfo | None:
    found = _walk(model, loc)
    return found if isinstance(found, FieldInfo) else None


def _bounds(field: FieldInfo | None) -> tuple[str, str]:
    low, high = "", ""
    for item in field.metadata if field else ():
        if isinstance(item, Ge):
            low = str(item.ge)
        elif isinstance(item, Le):
            high = str(item.le)
    return low, high
