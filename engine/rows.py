"""Rows as plain data: JSON text, CSV and XLSX cells and the union of their keys.

The CLI's row files, the trace and the API's result downloads all encode rows here, so a row
reads the same wherever it is downloaded, and is as safe to open in a spreadsheet.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


LIST_SEPARATOR = "; "
"""Between the items of a list in one CSV or XLSX cell: the row stays on one line, reads as a
list, and a spreadsheet splits it back (TEXTSPLIT, "split text to columns")."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would take `text` for a formula."""
    return text.startswith(FORMULA_STARTS)


@dataclass(frozen=True, slots=True)
class Cells:
    """How row values become CSV and XLSX cells; every writer of a row file uses it.

    A list of plain values is joined with `list_separator` (a list that holds objects or lists,
    and an object, are written as JSON). Text a spreadsheet would run as a formula gets a
    single quote in front in CSV, as OWASP recommends, unless `keep_formulas`; numbers and
    booleans are never changed.
    """

    keep_formulas: bool = False
    list_separator: str = LIST_SEPARATOR

    def plain(self, value: Any) -> str:
        """The value as text: None empty, lists joined, objects as JSON, scalars as JSON has
        them (a float as `repr` writes it, booleans as true/false)."""
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
        if isinstance(plain, list) and not any(isinstance(v, dict | list) for v in plain):
            return self.list_separator.join(self.plain(v) for v in plain)
        return plain if isinstance(plain, str) else dumps(plain)

    def text(self, value: Any) -> str:
        """One CSV cell."""
        text = self.plain(value)
        if self.keep_formulas or _number(value) or not formula_like(text):
            return text
        return "'" + text

    def sheet(self, value: Any) -> str | int | float | bool | None:
        """One XLSX cell's value: numbers and booleans as such, the rest as `plain` text (the
        writer stores text as text, never as a formula, unless `keep_formulas`)."""
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        return self.plain(value) or None


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def union_keys(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return every key of `rows`, in the order first seen."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    return list(keys)
