"""Rows as plain data: JSON text, CSV cells and the union of their keys.

The CLI's row files, the trace and the API's result downloads all encode rows here, so a row
reads the same wherever it is downloaded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

# JSON leaves these unescaped, but line readers such as `str.splitlines()` break lines on them.
_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def jsonable(value: Any) -> Any:
    """Return `value` as plain JSON data: Decimal as a string, dates in ISO 8601, NaN as None."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    # A row must never fail to serialise at the end of a long run; its text is the best we have.
    return str(value)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Encode `value` as strict JSON on one line unless indented (UTF-8 text kept as is)."""
    text = json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False, indent=indent)
    return line_safe(text)


def line_safe(text: str) -> str:
    """Escape the characters JSON leaves as they are but line readers break lines on."""
    return text.translate(_LINE_BREAKS)


def csv_cell(value: Any) -> str:
    """Render one CSV cell: None empty, nested values as JSON, scalars as their JSON text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)  # what json.dumps writes for a float
    plain = jsonable(value)
    if plain is None:
        return ""
    return plain if isinstance(plain, str) else dumps(plain)


def union_keys(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return every key of `rows`, in the order first seen."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    return list(keys)
