"""`/api/products`: the catalog as JSON, by page or by offset, for the JavaScript pages.

`?page=N` answers `{"items", "total", "page", "next"}` with `next` the next page number;
`?offset=K&limit=L` answers `{"items", "total", "offset", "limit", "next"}` with `next` the
offset of the next item. `next` is `null` at the end. Bad numbers answer 400, a page out of
range 404, an offset past the end an empty list.
"""

from __future__ import annotations

from typing import Any

from .catalog import PAGE_COUNT, PAGE_SIZE, PRODUCTS, Product, page_of
from .messages import Request, Response

MAX_LIMIT = 100


def products(request: Request) -> Response:
    """`/api/products?page=N` or `/api/products?offset=K&limit=L`."""
    if "offset" in request.query or "limit" in request.query:
        offset = _number(request.query.get("offset", "0"))
        limit = _number(request.query.get("limit", str(PAGE_SIZE)))
        if offset is None or limit is None or not 1 <= limit <= MAX_LIMIT:
            return _error(f"offset must be >= 0 and limit between 1 and {MAX_LIMIT}", 400)
        end = offset + limit
        return Response.json(
            {
                "items": [product_json(p) for p in PRODUCTS[offset:end]],
                "total": len(PRODUCTS),
                "offset": offset,
                "limit": limit,
                "next": end if end < len(PRODUCTS) else None,
            }
        )
    page = _number(request.query.get("page", "1"))
    if page is None:
        return _error("page must be a positive integer", 400)
    if not 1 <= page <= PAGE_COUNT:
        return _error(f"page {page} does not exist; pages run from 1 to {PAGE_COUNT}", 404)
    return Response.json(
        {
            "items": [product_json(p) for p in page_of(page)],
            "total": len(PRODUCTS),
            "page": page,
            "next": page + 1 if page < PAGE_COUNT else None,
        }
    )


def product_json(product: Product) -> dict[str, Any]:
    """A product as the API shows it; the price is a string such as `"12.50"`."""
    p = product
    return {
        "id": p.id,
        "name": p.name,
        "price": str(p.price),
        "category": p.category,
        "rating": p.rating,
        "stock": p.stock,
        "sku": p.sku,
        "url": p.url,
    }


def _number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _error(message: str, status: int) -> Response:
    return Response.json({"error": message}, status)
