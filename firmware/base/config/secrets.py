"""Which config keys hold secrets (the schema marks them), and config data with their values
replaced, for `config show`, diffs, the audit log and error messages."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel

from firmware.base.config.audit import REDACTED
from firmware.base.config.schema import Config

__all__ = ["REDACTED", "is_secret", "redacted", "scrub"]


def is_secret(model: type[BaseModel], key: str) -> bool:
    """True when the schema marks the key (or a table holding it) as secret; the keys of a
    list of tables ([[services.snmp.users]]) are named as the list's own key."""
    table: Any = model
    for name in key.split("."):
        field = table.model_fields.get(name) if table is not None else None
        if field is None:
            return False
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("secret"):
            return True
        table = _table(field.annotation)
    return False


def _table(annotation: Any) -> type[BaseModel] | None:
    """The table a field holds, itself or as the items of a list; None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    arguments = get_args(annotation)
    return _table(arguments[0]) if get_origin(annotation) is list and arguments else None


def scrub(model: type[BaseModel], prefix: str, node: Any) -> Any:
    """Plain data at the dotted key `prefix` with the values of secret keys replaced."""
    if isinstance(node, list):
        return [scrub(model, prefix, item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: REDACTED
        if is_secret(model, f"{prefix}{key}")
        else scrub(model, f"{prefix}{key}.", value)
        for key, value in node.items()
    }


def redacted(config: BaseModel, model: type[BaseModel] = Config) -> dict[str, Any]:
    """The config as plain data with the values of secret keys replaced."""
    data: dict[str, Any] = scrub(model, "", config.model_dump(mode="json"))
    return data
