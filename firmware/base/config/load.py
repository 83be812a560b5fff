"""Reading a config file into the typed schema, with one readable line per problem."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from annotated_types import Ge, Le
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from firmware.base.config.schema import SERVICE_NAMES, Config


class ConfigError(Exception):
    """A config that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_config(path: Path, available: Iterable[str]) -> Config:
    """Read and check `path`; a missing file means every default."""
    return parse_config(read_document(path), str(path), available)


def read_document(path: Path) -> dict[str, Any]:
    """The TOML document in `path` as written, or {} when there is no file."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc


def parse_config(data: Mapping[str, Any], source: str, available: Iterable[str]) -> Config:
    """Check a decoded config against the schema and against what this build can run."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{source}: {describe_error(e)}" for e in exc.errors()]) from exc
    return _apply_availability(config, data, source, frozenset(available))


def _apply_availability(
    config: Config, data: Mapping[str, Any], source: str, available: frozenset[str]
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
                f"{source}: services.{name}.enabled: true: {name} is not available in this "
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
    value = _show(error.get("input"))
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(Config, loc[:-1])) or "none"
        return f"{path}: unknown key (allowed here: {allowed})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(_field_at(Config, loc))
        return f"{path}: {value} is out of range {low}..{high}"
    if kind == "missing":
        return f"{path}: required key is missing"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{path}: {value}: {message[0].lower()}{message[1:]}"


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
