"""The replay viewer: one HTML template for the trace folder of `trawler run` and the API.

The page is self-contained (inline CSS and JS, no external resource, a strict CSP). The run is
embedded as JSON in a `<script type="application/json">` element with `<`, `>`, `&` and the
JavaScript line separators escaped, so scraped text can never close the element, and the page
renders every value with `textContent`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["render_replay", "script_json"]

PLACEHOLDER = "{{RUN_DATA}}"
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(value: Any) -> str:
    """Encode `value` as JSON that is safe to place inside a `<script>` element."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return text.translate(_SCRIPT_ESCAPES)


@cache
def _template() -> str:
    return files(__name__).joinpath("replay.html").read_text(encoding="utf-8")


def render_replay(run: Mapping[str, Any], *, embed: Callable[[str], str | None]) -> str:
    """Render the viewer page for `run`, a `run.json` document.

    `embed(path)` turns a step's screenshot path into a `data:` URI, or None to show none.
    """
    screenshots: dict[str, str] = {}
    for step in run.get("steps") or ():
        path = step.get("screenshot")
        if isinstance(path, str) and path not in screenshots:
            uri = embed(path)
            if uri is not None:
                screenshots[path] = uri
    payload = script_json({"run": run, "screenshots": screenshots})
    return _template().replace(PLACEHOLDER, payload, 1)
