"""The shop's HTML pages: home, server-rendered list and product pages, JS-rendered variants."""

from __future__ import annotations

from html import escape

from .catalog import CATEGORIES, PAGE_COUNT, PRODUCTS, page_of, product_by_id
from .layout import SITE_NAME, pagination, product_list, render_page
from .messages import Request, Response


def home(request: Request) -> Response:
    """`/`: links to every section."""
    categories = "".join(
        f'<li><a href="/shop/category/{c.lower()}">{c}</a></li>' for c in CATEGORIES
    )
    body = f"""<h1>{SITE_NAME}</h1>
<p class="intro">A small shop to practise scraping on: {len(PRODUCTS)} products,
{PAGE_COUNT} pages, a login, and pages that only render with JavaScript.</p>
<ul class="sections">
<li><a href="/shop">All products</a> (server-rendered, paginated)</li>
<li><a href="/js/shop">All products, rendered with JavaScript</a></li>
<li><a href="/infinite">Infinite scroll</a></li>
<li><a href="/login">Sign in</a> and see <a href="/account">your orders</a></li>
<li><a href="/api/products">JSON API</a></li>
</ul>
<h2>Categories</h2>
<ul class="categories">{categories}</ul>"""
    return Response.html(render_page(SITE_NAME, body))


def shop(request: Request) -> Response:
    """`/shop?page=N`: one page of the catalog with pagination links."""
    page = page_number(request)
    if page is None:
        return not_found(request)
    body = "\n".join(
        (
            "<h1>All products</h1>",
            f'<p class="count">{len(PRODUCTS)} products</p>',
            product_list(page_of(page)),
            pagination(page),
        )
    )
    return Response.html(render_page(f"All products, page {page}", body))


def category(request: Request) -> Response:
    """`/shop/category/<slug>`: every product of one category, on one page."""
    name = next((c for c in CATEGORIES if c.lower() == request.params["slug"]), None)
    if name is None:
        return not_found(request)
    products = [p for p in PRODUCTS if p.category == name]
    body = "\n".join(
        (
            f"<h1>{name}</h1>",
            f'<p class="count">{len(products)} products</p>',
            product_list(products),
            '<a class="back" href="/shop">All products</a>',
        )
    )
    return Response.html(render_page(name, body))


def product(request: Request) -> Response:
    """`/product/<id>`: one product's details."""
    p = product_by_id(request.params["id"])
    if p is None:
        return not_found(request)
    stock = f"{p.stock} in stock" if p.stock > 0 else "Out of stock"
    body = f"""<article class="product-detail" data-id="{p.id}">
<img class="photo" src="/static/thumb/{p.id}.svg" alt="" width="160" height="160">
<h1 class="name">{escape(p.name)}</h1>
<p><span class="price">{p.price_text}</span>
<span class="rating" data-stars="{p.rating}">{p.stars}</span></p>
<dl class="specs"><dt>SKU</dt><dd class="sku">{escape(p.sku)}</dd>\
<dt>Category</dt><dd class="category">{escape(p.category)}</dd>\
<dt>Stock</dt><dd class="stock" data-qty="{p.stock}">{stock}</dd></dl>
<div class="description"><p>{escape(p.description)}</p></div>
<a class="back" href="/shop">Back to all products</a>
</article>"""
    return Response.html(render_page(p.name, body))


def js_shop(request: Request) -> Response:
    """`/js/shop?page=N`: an empty list that `shop.js` fills from the API after ~100 ms."""
    page = page_number(request)
    if page is None:
        return not_found(request)
    body = '<h1>All products</h1>\n<ul class="products" id="app"></ul>'
    scripts = ("/static/products.js", "/static/shop.js")
    return Response.html(render_page("All products (JavaScript)", body, scripts=scripts))


def infinite(request: Request) -> Response:
    """`/infinite`: the first page, then `infinite.js` appends more as the user scrolls."""
    body = "\n".join(
        (
            "<h1>All products</h1>",
            product_list(page_of(1), list_id="feed"),
            '<div id="sentinel" class="sentinel" aria-hidden="true"></div>',
        )
    )
    scripts = ("/static/products.js", "/static/infinite.js")
    return Response.html(
        render_page("Infinite scroll", body, scripts=scripts, body_class="infinite")
    )


def not_found(request: Request) -> Response:
    """The 404 page for any unknown path."""
    body = f"""<h1>Page not found</h1>
<p class="not-found">There is no page at <code>{escape(request.path)}</code>.</p>
<p><a href="/">Back to the home page</a></p>"""
    return Response.html(render_page("Page not found", body), 404)


def page_number(request: Request) -> int | None:
    """The `page` query parameter (1 when absent), or `None` when invalid or out of range."""
    raw = request.query.get("page", "1")
    if not (raw.isascii() and raw.isdigit()):
        return None
    page = int(raw)
    return page if 1 <= page <= PAGE_COUNT else None
