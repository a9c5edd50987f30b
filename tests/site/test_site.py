"""The demo shop and the lab pages, over real HTTP with httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tests.site.lab import XSS_NAMES, start_site
from trawler.demo_site import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    ORDERS,
    PAGE_COUNT,
    PRODUCTS,
    DemoSite,
    Request,
    Response,
    page_of,
    product_by_id,
)


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    site = start_site()
    yield site
    site.stop()


@pytest.fixture
def client(site: DemoSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=5) as client:
        yield client


def parse(response: httpx.Response) -> LexborHTMLParser:
    return LexborHTMLParser(response.text)


def one(tree: LexborHTMLParser | LexborNode, selector: str) -> LexborNode:
    node = tree.css_first(selector)
    assert node is not None, selector
    return node


def text(tree: LexborHTMLParser | LexborNode, selector: str) -> str:
    return one(tree, selector).text(strip=True)


def attr(tree: LexborHTMLParser | LexborNode, selector: str, name: str) -> str | None:
    return one(tree, selector).attributes.get(name)


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_is_deterministic_and_unique() -> None:
    assert len(PRODUCTS) == 45
    assert [p.id for p in PRODUCTS] == [f"p{i:03d}" for i in range(1, 46)]
    assert len({p.name for p in PRODUCTS}) == 45
    assert len({p.sku for p in PRODUCTS}) == 45
    assert 4 <= len({p.category for p in PRODUCTS}) <= 5
    assert {p.rating for p in PRODUCTS} == {1, 2, 3, 4, 5}
    assert any(p.stock == 0 for p in PRODUCTS)
    assert all(p.price.as_tuple().exponent == -2 for p in PRODUCTS)
    assert [len(page_of(n)) for n in range(7)] == [0, 10, 10, 10, 10, 5, 0]


# --- shop pages ------------------------------------------------------------------------------


def test_home_links_to_sections(client: httpx.Client) -> None:
    tree = parse(client.get("/"))
    assert text(tree, "title") == "Trawler Demo Shop"
    assert text(tree, "h1") == "Trawler Demo Shop"
    hrefs = {a.attributes.get("href") for a in tree.css("main a")}
    assert {"/shop", "/js/shop", "/infinite", "/login", "/account"} <= hrefs
    assert tree.css_first("nav") is not None
    assert tree.css_first("footer") is not None


@pytest.mark.parametrize("page", range(1, PAGE_COUNT + 1))
def test_list_page(client: httpx.Client, page: int) -> None:
    response = client.get("/shop", params={"page": page})
    assert response.status_code == 200
    tree = parse(response)
    assert text(tree, "h1") == "All products"
    assert text(tree, "p.count") == "45 products"
    items = tree.css("ul.products > li.product")
    expected = page_of(page)
    assert len(items) == (5 if page == PAGE_COUNT else 10)
    assert [li.attributes["data-id"] for li in items] == [p.id for p in expected]
    first, product = items[0], expected[0]
    assert text(first, "a.title") == product.name
    assert attr(first, "a.title", "href") == f"/product/{product.id}"
    assert text(first, "span.price") == f"${product.price}"
    assert text(first, "span.category") == product.category
    assert attr(first, "span.rating", "data-stars") == str(product.rating)
    assert attr(first, "img.thumb", "src") == f"/static/thumb/{product.id}.svg"
    stock = [text(li, "span.stock") for li in items]
    assert stock == ["In stock" if p.stock else "Out of stock" for p in expected]

    nxt = tree.css_first("nav.pagination a.next[rel=next]")
    prev = tree.css_first("nav.pagination a.prev[rel=prev]")
    if page < PAGE_COUNT:
        assert nxt is not None
        assert nxt.attributes["href"] == f"/shop?page={page + 1}"
    else:
        assert nxt is None
    assert (prev is None) == (page == 1)


def test_shop_without_page_is_page_one(client: httpx.Client) -> None:
    tree = parse(client.get("/shop"))
    assert [li.attributes["data-id"] for li in tree.css("li.product")] == [p.id for p in page_of(1)]


@pytest.mark.parametrize(
    "path",
    ["/shop?page=0", "/shop?page=6", "/shop?page=x", "/product/p046", "/product/", "/nope"],
)
def test_not_found(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert text(parse(response), "h1") == "Page not found"


def test_product_page(client: httpx.Client) -> None:
    for product in (PRODUCTS[0], next(p for p in PRODUCTS if p.stock == 0)):
        tree = parse(client.get(f"/product/{product.id}"))
        assert text(tree, "h1.name") == product.name
        assert text(tree, "span.price") == f"${product.price}"
        assert text(tree, "dl.specs dd.sku") == product.sku
        assert text(tree, "dl.specs dd.category") == product.category
        stock = one(tree, "dl.specs dd.stock")
        assert stock.attributes["data-qty"] == str(product.stock)
        assert stock.text() == (f"{product.stock} in stock" if product.stock else "Out of stock")
        assert text(tree, "div.description p") == product.description
        assert attr(tree, "a.back", "href") == "/shop"


def test_category_page(client: httpx.Client) -> None:
    tree = parse(client.get("/shop/category/garden"))
    names = [text(li, "a.title") for li in tree.css("li.product")]
    assert names == [p.name for p in PRODUCTS if p.category == "Garden"]
    assert client.get("/shop/category/nothing").status_code == 404


def test_js_shop_serves_an_empty_list(client: httpx.Client) -> None:
    tree = parse(client.get("/js/shop", params={"page": 2}))
    app = one(tree, "ul.products#app")
    assert app.css("li") == []
    scripts = [s.attributes.get("src") for s in tree.css("script")]
    assert "/static/shop.js" in scripts
    for src in scripts:
        assert client.get(str(src)).headers["content-type"].startswith("text/javascript")
    assert client.get("/js/shop?page=9").status_code == 404


def test_infinite_serves_the_first_page(client: httpx.Client) -> None:
    tree = parse(client.get("/infinite"))
    assert [li.attributes["data-id"] for li in tree.css("ul.products li.product")] == [
        p.id for p in page_of(1)
    ]
    assert tree.css_first("#sentinel") is not None


def test_static_files(client: httpx.Client) -> None:
    css = client.get("/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    svg = client.get("/static/thumb/p001.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg")
    assert client.get("/static/thumb/p999.svg").status_code == 404
    assert client.get("/static/%2e%2e/server.py").status_code == 404


def test_head_has_headers_and_no_body(client: httpx.Client) -> None:
    get = client.get("/shop")
    head = client.head("/shop")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))


# --- login -----------------------------------------------------------------------------------


def test_login_flow(client: httpx.Client) -> None:
    form = one(parse(client.get("/login")), "form#login")
    assert form.attributes["method"] == "post"
    assert {i.attributes.get("name") for i in form.css("input")} == {"username", "password"}

    denied = client.get("/account")
    assert denied.status_code == 303
    assert denied.headers["location"] == "/login"

    wrong = client.post("/login", data={"username": DEMO_USERNAME, "password": "nope"})
    assert wrong.status_code == 200
    assert text(parse(wrong), "p.error") == "Invalid username or password"

    ok = client.post(
        "/login",
        data={"username": DEMO_USERNAME, "password": DEMO_PASSWORD},
        follow_redirects=True,
    )
    assert ok.status_code == 200
    assert ok.url.path == "/account"
    assert "session" in client.cookies
    tree = parse(ok)
    assert text(tree, "h1") == "Welcome, demo"
    rows = [
        [text(tr, f"td.{c}") for c in ("order-id", "date", "total", "status")]
        for tr in tree.css("table.orders tr.order")
    ]
    assert rows == [[o.id, o.date.isoformat(), f"${o.total}", o.status] for o in ORDERS]

    client.get("/logout")
    assert client.get("/account").status_code == 303


@pytest.mark.parametrize(
    ("path", "auth", "challenge"),
    [
        ("/basic", httpx.BasicAuth, 'Basic realm="trawler demo"'),
        ("/digest", httpx.DigestAuth, 'Digest realm="trawler demo"'),
    ],
)
def test_http_authentication(
    client: httpx.Client, path: str, auth: Callable[[str, str], httpx.Auth], challenge: str
) -> None:
    denied = client.get(path)
    assert denied.status_code == 401
    assert denied.headers["www-authenticate"].startswith(challenge)
    assert client.get(path, auth=auth(DEMO_USERNAME, "nope")).status_code == 401
    ok = client.get(path, auth=auth(DEMO_USERNAME, DEMO_PASSWORD))
    assert ok.status_code == 200
    assert text(parse(ok), "p.who") == DEMO_USERNAME
    assert text(parse(ok), "p.scheme") == path[1:].title()


# --- API -------------------------------------------------------------------------------------


def test_api_pages(client: httpx.Client) -> None:
    seen: list[str] = []
    page: int | None = 1
    while page is not None:
        data = client.get("/api/products", params={"page": page}).json()
        assert data["total"] == 45
        seen += [item["id"] for item in data["items"]]
        page = data["next"]
    assert seen == [p.id for p in PRODUCTS]
    item = client.get("/api/products").json()["items"][0]
    product = product_by_id(item["id"])
    assert product is not None
    assert item == {
        "id": product.id,
        "name": product.name,
        "price": str(product.price),
        "category": product.category,
        "rating": product.rating,
        "stock": product.stock,
        "sku": product.sku,
        "url": f"/product/{product.id}",
    }


def test_api_offsets(client: httpx.Client) -> None:
    data = client.get("/api/products", params={"offset": 40, "limit": 10}).json()
    assert [i["id"] for i in data["items"]] == [p.id for p in PRODUCTS[40:]]
    assert data["next"] is None
    data = client.get("/api/products", params={"offset": 10, "limit": 3}).json()
    assert [i["id"] for i in data["items"]] == ["p011", "p012", "p013"]
    assert data["next"] == 13
    assert client.get("/api/products?offset=99").json()["items"] == []
    assert client.get("/api/products?page=6").status_code == 404
    assert client.get("/api/products?page=-1").status_code == 400
    assert client.get("/api/products?offset=0&limit=0").status_code == 400


# --- server ----------------------------------------------------------------------------------


def test_many_concurrent_requests(site: DemoSite) -> None:
    paths = [f"/static/thumb/{p.id}.svg" for p in PRODUCTS] * 2 + ["/shop", "/api/products"] * 20
    limits = httpx.Limits(max_connections=32)
    with (
        httpx.Client(base_url=site.base_url, timeout=5, limits=limits) as client,
        ThreadPoolExecutor(max_workers=32) as pool,
    ):
        assert set(pool.map(lambda path: client.get(path).status_code, paths)) == {200}


def test_extra_routes_latency_and_port_release() -> None:
    def hello(request: Request) -> Response:
        return Response.text(f"hello {request.query.get('who', '?')} {request.params}")

    routes = {"/hello": hello, "/hello/<who>": hello}
    with DemoSite(extra_routes=routes, latency=timedelta(milliseconds=150)) as site:
        port = int(site.base_url.rsplit(":", 1)[1])
        started = time.monotonic()
        assert httpx.get(site.base_url + "/hello?who=x").text == "hello x {}"
        assert time.monotonic() - started >= 0.15
        assert httpx.get(site.base_url + "/hello/y").text == "hello ? {'who': 'y'}"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_stop_is_idempotent_and_base_url_needs_start() -> None:
    site = DemoSite()
    with pytest.raises(RuntimeError):
        _ = site.base_url
    site.stop()
    site.start()
    site.stop()
    site.stop()


# --- lab -------------------------------------------------------------------------------------


def test_slow_page_times_out_and_stop_still_returns() -> None:
    site = start_site()
    try:
        with httpx.stream(
            "GET", site.base_url + "/lab/slow", timeout=httpx.Timeout(5, read=0.3)
        ) as response:
            assert response.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                response.read()
        # A second client still hangs there while we stop.
        hanging = threading.Thread(
            target=lambda: httpx.get(site.base_url + "/lab/slow", timeout=10), daemon=True
        )
        hanging.start()
        time.sleep(0.1)
    finally:
        started = time.monotonic()
        site.stop()
        assert time.monotonic() - started < 2
    hanging.join(timeout=2)
    assert not hanging.is_alive()


def test_flaky_counts_per_key_and_per_site(client: httpx.Client) -> None:
    client.get("/lab/flaky/reset")
    statuses = [client.get("/lab/flaky?key=a&fail=2").status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    ok = client.get("/lab/flaky?key=a&fail=2")
    assert text(parse(ok), "p.ok") == "ok after 2"
    assert client.get("/lab/flaky?key=b&fail=1").status_code == 503
    client.get("/lab/flaky/reset?key=a")
    assert client.get("/lab/flaky?key=a&fail=1").status_code == 503
    assert client.get("/lab/flaky?key=b&fail=1").status_code == 200
    with DemoSite(extra_routes={}) as other, start_site() as lab:
        assert other.state is not lab.state
        assert httpx.get(lab.base_url + "/lab/flaky?key=b&fail=1").status_code == 503


def test_lab_pages(client: httpx.Client) -> None:
    error = client.get("/lab/error500")
    assert error.status_code == 500
    assert error.headers["content-type"].startswith("text/html")

    tree = parse(client.get("/lab/big", params={"n": 2000}))
    items = tree.css("li.item")
    assert len(items) == 2000
    assert text(items[-1], "span.n") == "2000"
    assert attr(items[-1], "a", "href") == "/lab/item/2000"

    csv = client.get("/lab/file.csv")
    assert csv.headers["content-disposition"].startswith("attachment")
    assert attr(parse(client.get("/lab/download")), "a#dl", "href") == ("/lab/file.csv")

    moved = client.get("/lab/redirect", params={"to": "/shop?page=2"})
    assert moved.status_code == 302
    assert moved.headers["location"] == "/shop?page=2"
    assert client.get("/lab/redirect", follow_redirects=True).url.path == "/shop"

    assert text(parse(client.get("/lab/alerts")), "p#content") == "Still here"
    assert text(parse(client.get("/lab/jserror")), "p#ok") == "ok"
    assert parse(client.get("/lab/delayed")).css_first("#late") is None
    popup = parse(client.get("/lab/popup"))
    assert attr(popup, "a#open", "target") == "_blank"
    assert popup.css_first("button#js-open") is not None
    assert client.get("/lab/popup-target").status_code == 200
    form = parse(client.get("/lab/form"))
    for selector in ("select#color", "#hover-me", "input#q", "button#go", "#confirm-btn"):
        assert form.css_first(selector) is not None, selector

    cards = parse(client.get("/lab/static-list")).css("div.card")
    assert len(cards) == 12
    assert attr(cards[9], "a", "href") == "/product/p010"


def test_xss_names_are_escaped(client: httpx.Client) -> None:
    response = client.get("/lab/xss")
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    tree = parse(response)
    assert [text(li, "a.title") for li in tree.css("li.product")] == list(XSS_NAMES)
    assert tree.css("main script") == []
    assert text(tree, "main h1") == "Hostile names"
