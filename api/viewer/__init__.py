"""The replay viewer: one HTML template for the trace folder of `trawler run` and the API.

The page is self-contained (inline CSS and JS, no external resource, a strict CSP whose only
script is the page's own, by nonce). The run is embedded as JSON in a
`<script type="application/json">` element with `<`, `>`, `&` and the JavaScript line
separators escaped, so scraped text can never close the element, and the page renders every
value with `textContent`. Served by the API, the page also gets `links` (where to fetch the run
again, follow its events, download its rows) and follows a running execution live.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["SNAPSHOT_CSP", "render_replay", "script_json", "served_csp"]

PLACEHOLDER = "{{RUN_DATA}}"
# A trace folder opens from disk: screenshots are embedded, nothing is fetched.
FILE_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
    "base-uri 'none'; form-action 'none'"
)
# Served: screenshots and snapshots from the API's own origin, the run and its events fetched
# from it; scraped snapshots only ever inside a sandboxed frame.
SERVED_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "script-src 'nonce-{nonce}'; connect-src 'self'; frame-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# A scraped page's HTML: no script, plugin, frame or form, and nothing fetched from anywhere
# (inline styles, data: images and fonts only), whether served or opened from disk
SNAPSHOT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'"
)
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
    folder = files(__name__)
    theme = folder.joinpath("templates", "_theme.css").read_text(encoding="utf-8")
    return folder.joinpath("replay.html").read_text(encoding="utf-8").replace("{{THEME}}", theme, 1)


def served_csp(nonce: str) -> str:
    """The Content-Security-Policy of the page when the API serves it."""
    return SERVED_CSP.format(nonce=nonce)


def render_replay(
    run: Mapping[str, Any],
    *,
    embed: Callable[[str], str | None] | None = None,
    links: Mapping[str, str | None] | None = None,
    nonce: str | None = None,
) -> str:
    """Render the viewer page for `run`, a `run.json` document.

    `embed(path)` turns a step's screenshot path into a `data:` URI, or None to show none (a
    trace folder); with `links` the page is served, its screenshots and snapshots are URLs and
    it follows the run live. `nonce` is the one the page's CSP names (a new one if None).
    """
    screenshots: dict[str, str] = {}
    for step in run.get("steps") or ():
        path = step.get("screenshot")
        if embed is not None and isinstance(path, str) and path not in screenshots:
            uri = embed(path)
            if uri is not None:
                screenshots[path] = uri
    nonce = nonce or secrets.token_urlsafe(16)
    payload = script_json({"run": run, "screenshots": screenshots, "links": dict(links or {})})
    csp = (SERVED_CSP if links else FILE_CSP).format(nonce=nonce)
    page = _template().replace("{{CSP}}", csp, 1).replace("{{NONCE}}", nonce, 1)
    return page.replace(PLACEHOLDER, payload, 1)
