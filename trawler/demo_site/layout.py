"""HTML building blocks shared by every page: the frame (nav, footer) and the product markup.

The product markup here is the contract scrapers and tests rely on; `static/products.js`
renders the same markup in the browser for the JavaScript pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .catalog import PAGE_COUNT, Product

SITE_NAME = "Trawler Demo Shop"

_NAV = (
    ("/", "Home"),
    ("/shop", "Shop"),
    ("/js/shop", "JS shop"),
    ("/infinite", "Infinite scroll"),
    ("/account", "Account"),
)


def render_page(
    title: str,
    body: str,
    *,
    scripts: Iterable[str] = (),
    inline_script: str = "",
    body_class: str = "",
) -> str:
    """A complete HTML5 document: head, site nav, `body` inside `<main>`, footer, scripts.

    `scripts` are URLs loaded in order at the end of the body, then `inline_script` runs.
    """
    full_title = title if title == SITE_NAME else f"{title} · {SITE_NAME}"
    nav = " ".join(f'<a href="{href}">{label}</a>' for href, label in _NAV)
    tags = "".join(f'<script src="{escape(src)}"></script>\n' for src in scripts)
    if inline_script:
        tags += f"<script>\n{inline_script}\n</script>\n"
    css_class = f' class="{escape(body_class)}"' if body_class else ""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(full_title)}</title>\n"
        '<link rel="stylesheet" href="/static/site.css">\n'
        f"</head>\n<body{css_class}>\n"
        f'<header class="site-header"><a class="brand" href="/">{SITE_NAME}</a>\n'
        f'<nav class="site-nav">{nav}</nav></header>\n'
        f"<main>\n{body}\n</main>\n"
        '<footer class="site-footer"><p>Trawler Demo Shop: a practice site for scrapers, '
        "served from your own machine. Nothing here is for sale.</p></footer>\n"
        f"{tags}</body>\n</html>\n"
    )


def product_item(product: Product) -> str:
    """One `<li class="product">` of a product list."""
    p = product
    return (
        f'<li class="product" data-id="{escape(p.id)}">'
        f'<img class="thumb" src="/static/thumb/{escape(p.id)}.svg" alt="" width="64" height="64">'
        f' <a class="title" href="{escape(p.url)}">{escape(p.name)}</a>'
        f' <span class="price">{escape(p.price_text)}</span>'
        f' <span class="category">{escape(p.category)}</span>'
        f' <span class="rating" data-stars="{p.rating}">{p.stars}</span>'
        f' <span class="stock">{p.stock_text}</span></li>'
    )


def product_list(products: Iterable[Product], *, list_id: str = "") -> str:
    """A `<ul class="products">` of `product_item`s."""
    id_attr = f' id="{escape(list_id)}"' if list_id else ""
    items = "\n".join(product_item(p) for p in products)
    return f'<ul class="products"{id_attr}>\n{items}\n</ul>'


def pagination(page: int, base: str = "/shop", pages: int = PAGE_COUNT) -> str:
    """The `<nav class="pagination">` of list page `page`: prev, page numbers, next."""
    links: list[str] = []
    if page > 1:
        links.append(f'<a class="prev" rel="prev" href="{base}?page={page - 1}">Previous</a>')
    for n in range(1, pages + 1):
        current = ' aria-current="page"' if n == page else ""
        css = "page current" if n == page else "page"
        links.append(f'<a class="{css}"{current} href="{base}?page={n}">{n}</a>')
    if page < pages:
        links.append(f'<a class="next" rel="next" href="{base}?page={page + 1}">Next</a>')
    return '<nav class="pagination" aria-label="Pages">' + " ".join(links) + "</nav>"
