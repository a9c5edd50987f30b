"""The comparison catalog: 50 list pages of 20 products, and 1,000 product pages, in two
variants with the same content: `/html/...` (server-rendered HTML) and `/js/...` (an empty
shell that a script fills from inline JSON, so only a browser sees the products).

    python -m bench.compare.site --port 8123     # serves until killed (0: a free port)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json

PRODUCTS = 1000
PER_PAGE = 20
LIST_PAGES = PRODUCTS // PER_PAGE
PAGES = LIST_PAGES + PRODUCTS
WORDS = ["sturdy", "light", "handmade", "classic", "compact", "quiet", "bright", "practical"]


def product(index: int) -> dict[str, str]:
    """The one record a product page holds; every tool must extract exactly these."""
    return {
        "sku": f"SKU-{index:04d}",
        "name": f"{WORDS[index % 8].title()} Item {index:04d}",
        "price": f"{(index * 37) % 500 + 0.99:.2f}",
    }


def _page(title: str, body: str) -> str:
    filler = "".join(f"<p>{' '.join(WORDS)} {i}</p>" for i in range(12))  # a real page's bulk
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"</head><body><nav><a href='/'>Catalog</a></nav><main>{body}</main>"
        f"<aside>{filler}</aside><footer>bench catalog</footer></body></html>"
    )


def _items(page: int) -> list[tuple[int, dict[str, str]]]:
    first = (page - 1) * PER_PAGE
    return [(i, product(i)) for i in range(first, first + PER_PAGE)]


def html_list(page: int) -> str:
    items = "".join(
        f"<li class=product><a class=title href='/html/product/{i}'>{p['name']}</a></li>"
        for i, p in _items(page)
    )
    following = f"<a class=next href='/html/list/{page + 1}'>Next</a>" if page < LIST_PAGES else ""
    return _page(f"Catalog page {page}", f"<ul class=products>{items}</ul>{following}")


def html_product(index: int) -> str:
    p = product(index)
    return _page(
        p["name"],
        f"<h1 class=name>{p['name']}</h1><span class=price>{p['price']}</span>"
        f"<span class=sku>{p['sku']}</span>",
    )


# The JavaScript variant renders the same markup in the page; the HTML carries only data.
_RENDER_LIST = """const data = JSON.parse(document.getElementById('data').textContent);
const list = document.createElement('ul'); list.className = 'products';
for (const [i, p] of data.items) {
  const li = document.createElement('li'); li.className = 'product';
  const a = document.createElement('a'); a.className = 'title';
  a.href = '/js/product/' + i; a.textContent = p.name; li.appendChild(a); list.appendChild(li);
}
document.querySelector('main').appendChild(list);
if (data.next) {
  const next = document.createElement('a'); next.className = 'next';
  next.href = data.next; next.textContent = 'Next';
  document.querySelector('main').appendChild(next);
}"""
_RENDER_PRODUCT = """const p = JSON.parse(document.getElementById('data').textContent);
const main = document.querySelector('main');
for (const [tag, cls, text] of [['h1', 'name', p.name], ['span', 'price', p.price],
                                ['span', 'sku', p.sku]]) {
  const e = document.createElement(tag); e.className = cls; e.textContent = text;
  main.appendChild(e);
}"""


def _script(data: object, render: str) -> str:
    text = json.dumps(data).replace("</", "<\\/")
    return f"<script type=application/json id=data>{text}</script><script>{render}</script>"


def js_list(page: int) -> str:
    following = f"/js/list/{page + 1}" if page < LIST_PAGES else None
    data = {"items": _items(page), "next": following}
    return _page(f"Catalog page {page}", _script(data, _RENDER_LIST))


def js_product(index: int) -> str:
    p = product(index)
    return _page(p["name"], _script(p, _RENDER_PRODUCT))


def pages() -> dict[str, bytes]:
    """Every page by path, rendered once: the server's own cost stays out of the figures."""
    found: dict[str, str] = {}
    for page in range(1, LIST_PAGES + 1):
        found[f"/html/list/{page}"] = html_list(page)
        found[f"/js/list/{page}"] = js_list(page)
    for index in range(PRODUCTS):
        found[f"/html/product/{index}"] = html_product(index)
        found[f"/js/product/{index}"] = js_product(index)
    return {path: _response(200, text) for path, text in found.items()}


def _response(status: int, text: str) -> bytes:
    body = text.encode()
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
        f"Content-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


NOT_FOUND = _response(404, "not found")


async def serve(port: int) -> None:
    """HTTP/1.1 with keep-alive on 127.0.0.1:`port` (0: a free one); prints the base URL."""
    rendered = pages()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                path = head.split(b" ", 2)[1].decode("latin-1").split("?", 1)[0]
                writer.write(rendered.get(path, NOT_FOUND))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", port)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
