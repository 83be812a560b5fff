"""Writing a changed config document back in the file's own layout: the comments, the order
and the formatting of everything that did not change are kept (tomlkit), so a commit does
not wipe what a person wrote in config.toml."""

from __future__ import annotations

import tomllib
from collections.abc import MutableMapping
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Comment, InlineTable, Item, Table, Whitespace


def render(text: str, document: dict[str, Any]) -> str:
    """`document` as TOML laid out like `text` (the file as it is now).

    Values that did not change keep their text and comments; a new key goes after the last
    key of its table (before the comments that lead into the next table); new tables go at
    the end of the file; a removed key takes its comments with it: the one on its line and
    the comment lines right above it (up to a blank line), which describe it. When the file
    cannot be edited in place (tomlkit reads it differently from the loader), the document
    is written afresh, without comments, rather than wrongly.
    """
    try:
        layout = tomlkit.parse(text)
        tables: list[tuple[list[str], Any]] = []
        _sync(layout, document, [], tables)
        edited = tomlkit.dumps(layout)
        if tables:
            edited = "".join([edited.rstrip("\n"), "\n\n" if edited.strip() else "",
                              tomlkit.dumps(_nest(tables))])  # fmt: skip
        if tomllib.loads(edited) == document:
            return edited
    except (TOMLKitError, tomllib.TOMLDecodeError, RecursionError, ValueError, TypeError):
        pass
    return tomlkit.dumps(document)


def _sync(
    container: MutableMapping[str, Any], target: dict[str, Any], path: list[str],
    tables: list[tuple[list[str], Any]],
) -> None:  # fmt: skip
    """Change `container` in place until it holds what `target` holds, touching only what
    differs; new tables (and lists of tables) are left in `tables` for the end of the file."""
    for key in [key for key in container if key not in target]:
        _drop_comments_above(container, key)
        del container[key]
    for key, value in target.items():
        current = container.get(key)
        if isinstance(value, dict) and isinstance(current, MutableMapping):
            _sync(current, value, [*path, key], tables)
        elif current is not None:
            if _plain(current) != value:
                container[key] = value
        elif _is_table(value) and not isinstance(container, InlineTable):
            tables.append(([*path, key], value))
        else:
            _add_key(container, key, value)


def _is_table(value: object) -> bool:
    """A table, or a list of tables ([[name]]): both are written under a header."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(item, dict) for item in value)
    return isinstance(value, dict)


def _add_key(container: MutableMapping[str, Any], key: str, value: Any) -> None:
    """Add a key after the table's last key: the comments and blank lines that end the
    table's text lead into the next table and stay in front of it."""
    if not isinstance(container, Table):
        container[key] = value
        return
    body = container.value.body
    trailing: list[Item] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], Comment | Whitespace):
        trailing.insert(0, body.pop()[1])
    container[key] = value
    for item in trailing:
        container.value.append(None, item)


def _nest(tables: list[tuple[list[str], Any]]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for path, value in tables:
        node = nested
        for name in path[:-1]:
            node = node.setdefault(name, {})
        node[path[-1]] = value
    return nested


def _plain(item: object) -> object:
    unwrap = getattr(item, "unwrap", None)
    return unwrap() if callable(unwrap) else item


def _drop_comments_above(container: MutableMapping[str, Any], key: str) -> None:
    """Blank the comment lines directly above `key` (no blank line between): they go with it."""
    body = _body(container)
    names = [None if name is None else name.key for name, _ in body]
    if key not in names:
        return
    index = names.index(key)
    while index > 0 and names[index - 1] is None and isinstance(body[index - 1][1], Comment):
        index -= 1
        trivia = body[index][1].trivia
        trivia.indent = trivia.comment_ws = trivia.comment = trivia.trail = ""


def _body(container: MutableMapping[str, Any]) -> list[tuple[Any, Any]]:
    if isinstance(container, Table):
        return container.value.body
    if isinstance(container, Container):
        return container.body
    return []  # a table split across the file: its comments are left where they are
