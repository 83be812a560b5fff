"""The config's key paths ("services.ntp.port"), read from the schema: what `config set`
accepts, which keys hold lists, and the keys a mistyped one was probably meant to be."""

from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel

from firmware.base.config.schema import Config


def key_paths(model: type[BaseModel] = Config, prefix: str = "") -> list[str]:
    """Every key that holds a value, dotted; a list of tables ([[services.ntp.rules]]) is one
    key, set as a whole."""
    paths = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            paths += key_paths(kind, f"{prefix}{name}.")
        else:
            paths.append(f"{prefix}{name}")
    return paths


KEY_PATHS = tuple(key_paths())


def holds_list(key: str) -> bool:
    """True when the key's value is a list (an array in TOML)."""
    table: object = Config
    for name in key.split("."):
        if not (isinstance(table, type) and issubclass(table, BaseModel)):
            return False
        field = table.model_fields.get(name)
        if field is None:
            return False
        table = field.annotation
    kind = typing.get_args(table)[0] if typing.get_origin(table) is typing.Annotated else table
    return typing.get_origin(kind) is list


def near_misses(key: str, count: int = 3) -> list[str]:
    """The known keys closest to an unknown one, best first (none when nothing is close)."""
    return difflib.get_close_matches(key, KEY_PATHS, n=count, cutoff=0.6)
