"""The config keys and values a command line offers: the schema walked one level at a time,
so that Tab after `config set services.` offers `services.ntp.` and so on, and after a key with
a fixed set of values offers those values."""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from firmware.base.config.schema import Config

Choice = tuple[str, str]
"""A word to offer and a note that explains it."""


def key_choices(prefix: str) -> list[Choice]:
    """Keys and sections (these end in ".") one level below the last dot of `prefix` that
    start with it, matched without regard to case."""
    parent, _, _ = prefix.rpartition(".")
    model: type[BaseModel] = Config
    path = ""
    for name in parent.split(".") if parent else []:
        field = _field_named(model, name)
        section = _section(field.annotation) if field else None
        if field is None or section is None:
            return []
        model, path = section, f"{path}{_name_of(model, field)}."
    choices = []
    for name, field in model.model_fields.items():
        full = f"{path}{name}"
        if full.lower().startswith(prefix.lower()):
            dot = "." if _section(field.annotation) else ""
            choices.append((full + dot, field.description or ""))
    return choices


def value_choices(key: str) -> list[Choice]:
    """The values a key can only take (a Literal type, or a bool); for any other key a hint
    (`<value>`, with what the key means) that `?` shows and Tab never types."""
    field = _field(key)
    if field is None or _section(field.annotation):
        return []
    if field.annotation is bool:
        return [("true", ""), ("false", "")]
    if typing.get_origin(field.annotation) is typing.Literal:
        return [(str(value), "") for value in typing.get_args(field.annotation)]
    return [("<value>", field.description or "")]


def _field(key: str) -> FieldInfo | None:
    model: type[BaseModel] | None = Config
    field = None
    for name in key.split("."):
        field = _field_named(model, name) if model else None
        if field is None:
            return None
        model = _section(field.annotation)
    return field


def _field_named(model: type[BaseModel], name: str) -> FieldInfo | None:
    fields = {key.lower(): field for key, field in model.model_fields.items()}
    return fields.get(name.lower())


def _name_of(model: type[BaseModel], field: FieldInfo) -> str:
    return next(name for name, each in model.model_fields.items() if each is field)


def _section(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
