"""`{{variable}}` templates in node parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from engine.errors import VariableError

PATTERN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
BUILTINS = ("current", "now")
"""Values every template may use, which no variable may be named: `{{current.url}}` and
`{{current.title}}` of the step's page, `{{now}}` (UTC, ISO 8601, to the second)."""


def names(text: str) -> Iterator[str]:
    """The variable names a string refers to."""
    for match in PATTERN.finditer(text):
        yield match.group(1)


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside a JSON-like value, with its field path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for key in type(value).model_fields:
            yield from walk_strings(getattr(value, key), f"{path}.{key}" if path else key)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{index}]")


def lookup(name: str, variables: Mapping[str, Any]) -> Any:
    """A variable's value; dotted names reach into objects (`item.url`)."""
    head, _, rest = name.partition(".")
    if head not in variables:
        raise VariableError(f"variable {head!r} has no value")
    value = variables[head]
    for part in rest.split(".") if rest else ():
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            raise VariableError(f"variable {name!r} has no value")
    return value


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Replace every `{{name}}` in `text`; a missing variable raises `VariableError`."""
    if "{{" not in text:
        return text

    def substitute(match: re.Match[str]) -> str:
        value = lookup(match.group(1), variables)
        return "" if value is None else str(value)

    return PATTERN.sub(substitute, text)


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render every string inside a JSON-like value or a pydantic model."""
    if isinstance(value, str):
        return render(value, variables)
    if isinstance(value, BaseModel):
        changes = {}
        for key in type(value).model_fields:
            old = getattr(value, key)
            new = render_value(old, variables)
            if new is not old:
                changes[key] = new
        return value.model_copy(update=changes) if changes else value
    if isinstance(value, list):
        items = [render_value(item, variables) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        rendered = {k: render_value(v, variables) for k, v in value.items()}
        return rendered if any(rendered[k] is not value[k] for k in value) else value
    return value
