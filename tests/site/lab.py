"""Pathological pages under `/lab/`, served next to the shop for tests only.

`start_site()` starts the shop with these routes; `lab_routes()` gives them to a `DemoSite`
built by hand. Per-server state (the flaky counters, the stop signal of `/lab/slow`) lives in
`Request.site`, so two sites never share it.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from datetime import timedelta
from decimal import Decimal

from tests.site.components import component_routes
from trawler.demo_site import (
    DemoSite,
    Handler,
    Product,
    Request,
    Response,
    product_list,
    render_page,
)

SLOW_MAX_SECONDS = 120.0
BIG_MAX_ITEMS = 1_000_000

XSS_NAMES = (
    "<img src=x onerror=alert(1)>",
    "<script>alert('xss')</script>",
    "Quote \" and apostrophe ' and ampersand &amp;",
    "</li></ul><h1>broken out</h1>",
)
"""Product names on `/lab/xss`; the page shows them escaped, as text."""

CSV = "id,name,price\np001,Copper Kettle,5.00\np002,Copper Planter,42.25\n"


def start_site(latency: timedelta = timedelta(0)) -> DemoSite:
    """A started `DemoSite` serving the shop and the lab; the caller stops it."""
    site = DemoSite(extra_routes=lab_routes(), latency=latency)
    site.start()
    return site


def lab_routes() -> Mapping[str, Handler]:
    """Every lab route by path."""
    return {
        "/lab/slow": slow,
        "/lab/error500": error500,
        "/lab/big": big,
        "/lab/alerts": alerts,
        "/lab/popup": popup,
        "/lab/popup-target": popup_target,
        "/lab/download": download,
        "/lab/file.csv": file_csv,
        "/lab/jserror": jserror,
        "/lab/flaky": flaky,
        "/lab/flaky/reset": flaky_reset,
        "/lab/delayed": delayed,
        "/lab/form": form,
        "/lab/clicks": clicks,
        "/lab/redirect": redirect,
        "/lab/xss": xss,
        "/lab/static-list": static_list,
        "/lab/mixed-links": mixed_links,
        "/lab/slow-first": slow_first,
        "/lab/trickle": trickle,
        "/lab/cp1252": cp1252,
        "/lab/cookie": cookie,
        "/lab/paged": paged,
        "/lab/paced": paced,
        "/lab/selectors": selectors,
        "/lab/assets": assets,
        "/lab/asset/<name>": asset,
        "/lab/busy": busy,
        "/lab/repeat": repeat,
        "/lab/headers": headers,
        "/lab/dialogs": dialogs,
        "/lab/dialogs-frame": dialogs_frame,
        **component_routes(),
    }


def _page(title: str, body: str, script: str = "") -> Response:
    return Response.html(render_page(title, body, inline_script=script))


def slow(request: Request) -> Response:
    """200 and the start of a page, then nothing until the server stops (or 120 s)."""

    def body() -> Iterator[bytes]:
        yield b"<!doctype html>\n<html><head><title>Slow</title></head><body><p id='start'>"
        request.site.stopping.wait(SLOW_MAX_SECONDS)

    return Response(200, body())


def error500(request: Request) -> Response:
    """A 500 with an HTML body."""
    body = '<h1>Server error</h1>\n<p class="error">Something broke on purpose.</p>'
    return Response.html(render_page("Server error", body), 500)


def big(request: Request) -> Response:
    """`?n=50000` list items, each with a number and a link."""
    raw = request.query.get("n", "50000")
    n = min(int(raw), BIG_MAX_ITEMS) if raw.isdigit() else 50000
    items = "".join(
        f'<li class="item"><span class="n">{i}</span><a href="/lab/item/{i}">Item {i}</a></li>\n'
        for i in range(1, n + 1)
    )
    return Response.html(
        render_page("Big", f'<h1>{n} items</h1>\n<ul class="items">\n{items}</ul>')
    )


def alerts(request: Request) -> Response:
    """Opens alert, confirm, prompt and a popup at once, then every 50 ms, forever."""
    script = """const pester = () => {
  alert('hi');
  confirm('sure?');
  prompt('name?');
  window.open('/lab/popup-target');
};
pester();
setInterval(pester, 50);"""
    return _page("Alerts", '<h1>Alerts</h1>\n<p id="content">Still here</p>', script)


def popup(request: Request) -> Response:
    """A link and a button that open `/lab/popup-target` in a new window."""
    body = """<h1>Popups</h1>
<p><a id="open" href="/lab/popup-target" target="_blank">open</a></p>
<p><button id="js-open" type="button" onclick="window.open('/lab/popup-target')">\
open with JavaScript</button></p>"""
    return _page("Popup", body)


def popup_target(request: Request) -> Response:
    """The page popups open."""
    return _page("Popup target", '<h1 id="popup">Popup target</h1>')


def download(request: Request) -> Response:
    """A link to a file served as an attachment."""
    return _page(
        "Download", '<h1>Download</h1>\n<p><a id="dl" href="/lab/file.csv">download</a></p>'
    )


def file_csv(request: Request) -> Response:
    """A small CSV with `Content-Disposition: attachment`."""
    disposition = ("Content-Disposition", 'attachment; filename="file.csv"')
    return Response(200, CSV, "text/csv; charset=utf-8", (disposition,))


def jserror(request: Request) -> Response:
    """A page whose script throws on load; the content is there anyway."""
    return _page("JS error", '<p id="ok">ok</p>', "throw new Error('boom from page');")


def flaky(request: Request) -> Response:
    """`?key=K&fail=N`: the first N requests for K answer 503 (with `retry_after=S`, saying
    Retry-After: S), later ones 200."""
    key = request.query.get("key", "default")
    raw = request.query.get("fail", "1")
    fail = int(raw) if raw.isdigit() else 1
    if request.site.bump(f"flaky:{key}") <= fail:
        wait = request.query.get("retry_after")
        headers = (("Retry-After", wait),) if wait is not None else ()
        return Response.html(render_page("Unavailable", "<h1>Try again</h1>"), 503, headers)
    return _page("Flaky", f'<h1>Flaky</h1>\n<p class="ok">ok after {fail}</p>')


def flaky_reset(request: Request) -> Response:
    """Forgets the flaky counters: of `?key=K`, or all of them."""
    key = request.query.get("key")
    request.site.reset("flaky:" if key is None else f"flaky:{key}")
    return Response.text("reset")


def delayed(request: Request) -> Response:
    """`<div id="late">ready</div>` appears 800 ms after load."""
    script = """setTimeout(() => {
  const late = document.createElement('div');
  late.id = 'late';
  late.textContent = 'ready';
  document.querySelector('main').append(late);
}, 800);"""
    return _page("Delayed", "<h1>Delayed</h1>", script)


def form(request: Request) -> Response:
    """A select, a hover target, an echo form and a confirm button."""
    body = """<h1>Form</h1>
<select id="color"><option value="r">Red</option><option value="g">Green</option></select>
<div id="hover-me" style="padding:1rem;border:1px dashed #999">hover me</div>
<input id="q" name="q" type="text">
<button id="go" type="button">Go</button>
<p id="echo"></p>
<button id="confirm-btn" type="button">Delete</button>
<p id="answer"></p>"""
    script = """const $ = (id) => document.getElementById(id);
$('hover-me').addEventListener('mouseover', () => {
  if (!$('hovered')) {
    const p = document.createElement('p');
    p.id = 'hovered';
    p.textContent = 'yes';
    $('hover-me').after(p);
  }
});
$('go').addEventListener('click', () => {
  $('echo').textContent = $('q').value + '|' + $('color').value;
});
$('confirm-btn').addEventListener('click', () => {
  $('answer').textContent = String(confirm('Delete?'));
});"""
    return _page("Form", body, script)


def clicks(request: Request) -> Response:
    """A button that writes each mouse event it gets (click, dblclick, contextmenu, auxclick)."""
    body = """<h1>Clicks</h1>
<button id="target" type="button">click me</button>
<p id="events"></p>"""
    script = """const target = document.getElementById('target');
for (const type of ['click', 'dblclick', 'contextmenu', 'auxclick']) {
  target.addEventListener(type, (event) => {
    event.preventDefault();
    const log = document.getElementById('events');
    log.textContent = (log.textContent + ' ' + type + ':' + event.button).trim();
  });
}"""
    return _page("Clicks", body, script)


def redirect(request: Request) -> Response:
    """302 to `?to=` (default `/shop`)."""
    return Response.redirect(request.query.get("to", "/shop"), 302)


def xss(request: Request) -> Response:
    """A product list whose names contain markup, shown escaped."""
    products = [
        Product(
            id=f"p{i:03d}",  # a real id, so the thumbnail loads
            name=name,
            price=Decimal("1.00"),
            category="<b>Lab</b>",
            rating=3,
            stock=1,
            sku=f"LAB-{i}",
            description=name,
        )
        for i, name in enumerate(XSS_NAMES, start=1)
    ]
    return _page("XSS", f"<h1>Hostile names</h1>\n{product_list(products)}")


def static_list(request: Request) -> Response:
    """12 cards, server-rendered, no script at all."""
    cards = "\n".join(
        f'<div class="card"><h2>Card {i}</h2><a href="/product/p{i:03d}">Product {i}</a></div>'
        for i in range(1, 13)
    )
    return Response.html(render_page("Static list", f"<h1>Static list</h1>\n{cards}"))


MIXED_LINKS = (
    "/product/p001",
    "javascript:void(0)",
    "mailto:shop@example.test",
    "#",
    "/product/p002",
)


def mixed_links(request: Request) -> Response:
    """A list whose links are not all pages: script, mail and fragment links among them."""
    items = "\n".join(
        f'<li class="entry"><a href="{href}">Entry {i}</a></li>'
        for i, href in enumerate(MIXED_LINKS)
    )
    return Response.html(render_page("Mixed links", f'<ul class="entries">{items}</ul>'))


SLOW_FIRST = ("/lab/slow", "/product/p001", "/product/p002", "/product/p003")


def slow_first(request: Request) -> Response:
    """A list whose first link never finishes loading (`/lab/slow`); the others are quick."""
    items = "\n".join(
        f'<li class="entry"><a href="{href}">Entry {i}</a></li>'
        for i, href in enumerate(SLOW_FIRST)
    )
    return Response.html(render_page("Slow first", f'<ul class="entries">{items}</ul>'))


def trickle(request: Request) -> Response:
    """A page that arrives one byte every 0.3 s: each read is quick, the whole never ends."""

    def body() -> Iterator[bytes]:
        yield b"<!doctype html>\n<html><body><p>"
        while not request.site.stopping.wait(0.3):
            yield b"."

    return Response(200, body())


CP1252_TEXT = "Café crème € 5"


def cp1252(request: Request) -> Response:
    """A Windows-1252 page that says so only in a <meta> tag (`?header=1`: only in the
    Content-Type header)."""
    if request.query.get("header"):
        page = f"<html><body><h1>{CP1252_TEXT}</h1></body></html>"
        return Response(200, page.encode("cp1252"), "text/html; charset=windows-1252")
    head = '<html><head><meta charset="windows-1252"></head>'
    page = f"{head}<body><h1>{CP1252_TEXT}</h1></body></html>"
    return Response(200, page.encode("cp1252"), content_type="text/html")


def cookie(request: Request) -> Response:
    """Shows the `visit` cookie it set on an earlier visit (`none` on the first)."""
    seen = request.cookies.get("visit", "none")
    page = render_page("Cookie", f'<p class="seen">{seen}</p>')
    return Response.html(page, headers=(("Set-Cookie", "visit=earlier; Path=/"),))


PAGED = 3


def paged(request: Request) -> Response:
    """Three pages of two items; on the last, Next is a disabled `#` link, as many sites do."""
    page = int(request.query.get("page", "1"))
    items = "".join(f'<li class="row">Row {page}.{i}</li>' for i in (1, 2))
    if page < PAGED:
        nxt = f'<a class="next" href="/lab/paged?page={page + 1}">Next</a>'
    else:
        nxt = '<a class="next disabled" href="#" aria-disabled="true">Next</a>'
    return Response.html(render_page("Paged", f'<ul class="rows">{items}</ul>{nxt}'))


def paced(request: Request) -> Response:
    """`?pages=N&delay_ms=D`: N pages of three rows, each served after D ms (slow, long runs)."""
    page = int(request.query.get("page", "1"))
    pages = int(request.query.get("pages", "5"))
    delay_ms = int(request.query.get("delay_ms", "200"))
    request.site.stopping.wait(delay_ms / 1000)
    items = "".join(f'<li class="row">Row {page}.{i}</li>' for i in (1, 2, 3))
    nxt = ""
    if page < pages:
        href = f"/lab/paced?page={page + 1}&pages={pages}&delay_ms={delay_ms}"
        nxt = f'<a class="next" href="{href}">Next</a>'
    return Response.html(render_page("Paced", f'<ul class="rows">{items}</ul>{nxt}'))


SELECTOR_CARDS = 6


def selectors(request: Request) -> Response:
    """Elements to suggest selectors for: a stable id, a data-testid, plain classes, a class
    that repeats, cells only position tells apart, generated ids and classes, a card grid."""
    cards = "\n".join(
        f'<div class="card rounded-lg p-4"><h3 class="card-title">Card {i}</h3>'
        f'<span class="price">{i}.00 €</span><a href="/product/p{i:03d}">View</a></div>'
        for i in range(1, SELECTOR_CARDS + 1)
    )
    body = f"""<h1>Selector lab</h1>
<form class="search" role="search"><input id="search-box" class="mt-2 px-3 rounded" name="q"\
 type="search" placeholder="Search"></form>
<div id="ember123" class="css-1x2y3z toolbar">
<button id="react-select-3-input" class="sc-abc btn-primary" data-testid="add-to-cart"\
 type="button">Add to cart</button>
<button id=":r1:" class="css-9f8e7d sc-kXzFjr" type="button">Share</button>
</div>
<p class="shipping-note text-sm">Free shipping over 50 €</p>
<div class="cards">
{cards}
</div>
<aside id="summary"><h2>Summary</h2><span class="price">21.00 €</span></aside>
<table class="features">
<tr><td>Waterproof</td><td>Yes</td></tr>
<tr><td>Dishwasher safe</td><td>Yes</td></tr>
<tr><td>Warranty</td><td>No</td></tr>
</table>"""
    return _page("Selectors", body)


TRACKER_URLS = (
    "https://www.googletagmanager.com/gtag/js?id=G-TEST",
    "https://www.google-analytics.com/analytics.js",
    "https://connect.facebook.net/en_US/fbevents.js",
    "https://static.hotjar.com/c/hotjar-1.js?sv=6",
    "https://cdn.segment.com/analytics.js/v1/key/analytics.min.js",
)
"""Scripts of well-known trackers that `/lab/assets` loads (asynchronously)."""
TRACKER_PIXELS = (
    "https://www.facebook.com/tr?id=1&ev=PageView",
    "https://stats.g.doubleclick.net/r/collect?v=1",
)
"""Tracking pixels (images) on `/lab/assets`."""
ASSET_FILES = ("photo.png", "banner.jpg", "lab.woff2")
"""Same-site images and the font `/lab/assets` uses, served by `/lab/asset/<name>`."""
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)
ASSET_TYPES = {"png": "image/png", "jpg": "image/jpeg", "woff2": "font/woff2"}


def assets(request: Request) -> Response:
    """Two images, a web font, tracker scripts and pixels: what resource blocking drops."""
    trackers = "".join(f'<script async src="{url}"></script>\n' for url in TRACKER_URLS)
    pixels = "".join(f'<img class="pixel" src="{url}" width="1" height="1" alt="">\n'
                     for url in TRACKER_PIXELS)  # fmt: skip
    body = f"""<style>@font-face {{ font-family: LabFont; src: url(/lab/asset/lab.woff2); }}
.fancy {{ font-family: LabFont, serif; }}</style>
<h1 class="fancy">Assets</h1>
<img id="photo" src="/lab/asset/photo.png" alt="photo">
<img id="banner" src="/lab/asset/banner.jpg" alt="banner">
{pixels}{trackers}"""
    return _page("Assets", body)


def asset(request: Request) -> Response:
    """A file of `/lab/assets`: a real 1x1 PNG, or placeholder bytes of the named type."""
    name = request.params["name"]
    kind = name.rsplit(".", 1)[-1]
    if name not in ASSET_FILES:
        return Response.text("no such asset", 404)
    body = PNG_1X1 if kind == "png" else b"\0" * 64
    return Response(200, body, ASSET_TYPES[kind])


def busy(request: Request) -> Response:
    """A page whose inline script keeps the renderer busy for `?ms=` while it loads."""
    ms = min(int(request.query.get("ms", "2000")), 30_000)
    script = f"const until = Date.now() + {ms}; while (Date.now() < until) {{}}"
    return _page("Busy", '<p id="done">loaded</p>', script)


REPEAT_MAX_CHARS = 1_000_000


def repeat(request: Request) -> Response:
    """`?text=a&times=30&tail=!&items=5`: items of one text repeated, then a tail (the input
    that makes a backtracking regular expression take exponential time)."""
    times = min(int(request.query.get("times", "30")), REPEAT_MAX_CHARS)
    text = request.query.get("text", "a") * times + request.query.get("tail", "!")
    text = html.escape(text)
    items = "".join(
        f'<li class="long" data-n="{i}">{text}</li>'
        for i in range(1, int(request.query.get("items", "5")) + 1)
    )
    return _page("Repeat", f'<ul class="longs">{items}</ul>')


def headers(request: Request) -> Response:
    """Each request header as `<p id="h-{name}">value</p>`, names in lower case."""
    rows = "\n".join(
        f'<p id="h-{html.escape(name)}">{html.escape(value)}</p>'
        for name, value in sorted(request.headers.items())
    )
    return _page("Headers", f'<div class="headers">\n{rows}\n</div>')


# what a page, and a frame in it, got from confirm() and prompt(): "null" is a cancelled prompt
_ASK = """const asked = {confirm: String(confirm('Proceed?')),
               prompt: String(prompt('Your name?', 'guest'))};"""


def dialogs(request: Request) -> Response:
    """Asks confirm() and prompt() on load and shows the answers (#confirm, #prompt), then
    those a frame got (#frame-confirm, #frame-prompt); `?frame=URL` puts the frame elsewhere."""
    frame = html.escape(request.query.get("frame", "/lab/dialogs-frame"))
    body = f"""<h1>Dialogs</h1>
<div id="answers"></div>
<script>
const show = (id, text) => {{
  const p = document.createElement('p');
  p.id = id;
  p.textContent = text;
  document.getElementById('answers').append(p);
}};
window.addEventListener('message', (event) => {{
  show('frame-confirm', event.data.confirm);
  show('frame-prompt', event.data.prompt);
}});
{_ASK}
show('confirm', asked.confirm);
show('prompt', asked.prompt);
</script>
<iframe src="{frame}" title="frame"></iframe>"""
    return _page("Dialogs", body)


def dialogs_frame(request: Request) -> Response:
    """Asks confirm() and prompt() on load and posts the answers to its parent."""
    return Response.html(
        f"<!doctype html><p>frame</p><script>{_ASK}\nparent.postMessage(asked, '*');</script>"
    )
