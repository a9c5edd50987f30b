"""`/static/...`: the CSS and JavaScript shipped in `static/`, and a generated SVG per product."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from .catalog import CATEGORIES, product_by_id
from .messages import Request, Response
from .pages import not_found

STATIC_DIR = Path(__file__).parent / "static"

# Spelled out so the answer does not depend on the host's mime.types.
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
}
_COLOURS = ("#c0553a", "#4f8a3c", "#3a6ea5", "#8a6d3b", "#9b4f96")


def static_file(request: Request) -> Response:
    """`/static/<path:name>`: a file of `static/`, never one outside it."""
    root = STATIC_DIR.resolve()
    path = (root / request.params["name"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return not_found(request)
    content_type = _TYPES.get(path.suffix) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return Response(200, path.read_bytes(), content_type)


def thumbnail(request: Request) -> Response:
    """`/static/thumb/<id>.svg`: a tiny square coloured by category, with the product id."""
    name = request.params["name"]
    product = product_by_id(name.removesuffix(".svg")) if name.endswith(".svg") else None
    if product is None:
        return not_found(request)
    colour = _COLOURS[CATEGORIES.index(product.category) % len(_COLOURS)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="8" fill="{colour}"/>'
        '<text x="32" y="37" font-family="sans-serif" font-size="14" text-anchor="middle"'
        f' fill="#fff">{product.id}</text></svg>'
    )
    return Response(200, svg, "image/svg+xml")
