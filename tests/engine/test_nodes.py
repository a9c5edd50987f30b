"""Every node kind on real Chromium against the fixture site, and the browser's nuisances."""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from typing import Any

import pytest

from engine import ListSink, StepFinished, StepStarted
from tests.engine.conftest import FAST, RunBot, bot, logged, messages, node
from trawler.demo_site import DemoSite
from trawler.demo_site.catalog import ORDERS, PAGE_COUNT, PRODUCTS, page_of

NAME_PRICE = [
    {"name": "name", "selector": "a.title"},
    {"name": "price", "selector": ".price"},
]


def name_price(products: Any) -> list[dict[str, Any]]:
    return [{"name": p.name, "price": p.price_text} for p in products]


def step(sink: ListSink, node_id: str) -> StepFinished:
    return next(s for s in sink.steps if s.node_id == node_id)


def png_size(image: bytes) -> tuple[int, int]:
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", image[16:24])
    return width, height


def evaluated(sink: ListSink) -> list[str]:
    """What evaluate nodes returned, from their debug logs."""
    found = (re.fullmatch(r"evaluate returned '(.*)'", m) for m in messages(sink, "debug"))
    return [m.group(1) for m in found if m]


# --- navigate --------------------------------------------------------------------------------


@pytest.mark.parametrize("wait_until", ["load", "domcontentloaded", "networkidle"])
async def test_navigate_renders_variables(run_bot: RunBot, site: DemoSite, wait_until: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}{{path}}?page={{number}}", wait_until=wait_until),
        node("items", "extract", item_selector="li.product", fields=NAME_PRICE),
    )
    document["variables"] = {"path": "/shop", "number": 2}
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(page_of(2))
    assert step(sink, "open").url == f"{site.base_url}/shop?page=2"
    assert finished.pages == 1


# --- click -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("button", "count", "events"),
    [
        ("left", 1, "click:0"),
        ("left", 2, "click:0 click:0 dblclick:0"),
        ("right", 1, "contextmenu:2 auxclick:2"),
        ("middle", 1, "auxclick:1"),
    ],
)
async def test_click_button_and_count(
    run_bot: RunBot, button: str, count: int, events: str
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/clicks"),
        node("click", "click", selector="#target", button=button, count=count),
        node("read", "extract", mode="single", fields=[{"name": "events", "selector": "#events"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"events": events}]


async def test_click_waits_for_navigation(run_bot: RunBot, site: DemoSite) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("next", "click", selector="a.next", wait_for="navigation"),
        node("items", "extract", item_selector="li.product", fields=NAME_PRICE),
        timeouts={**FAST, "selector_ms": 0},  # the click, not extraction, must do the waiting
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(page_of(2))
    assert step(sink, "next").url == f"{site.base_url}/shop?page=2"
    assert finished.pages == 2


async def test_click_continues_in_the_popup(run_bot: RunBot, site: DemoSite) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/popup"),
        node("click", "click", selector="#open", wait_for="popup"),
        node("read", "extract", mode="single", fields=[{"name": "title", "selector": "#popup"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"title": "Popup target"}]
    assert step(sink, "read").url == f"{site.base_url}/lab/popup-target"
    assert not logged(sink, "closed a pop-up")  # the pop-up we asked for is kept


# --- type, fill, secrets ---------------------------------------------------------------------

SECRET = {"password": {"value": "trawler", "secret": True}}


def all_texts(sink: ListSink) -> list[str]:
    """Every log message, error, step URL and HTML snapshot of a run."""
    texts = [sink.finished.error or "", *messages(sink)]
    for event in sink.events:
        if isinstance(event, StepStarted | StepFinished):
            texts.append(event.url or "")
        if isinstance(event, StepFinished):
            texts += [event.error or "", event.html or ""]
    return texts


@pytest.mark.parametrize("kind", ["type", "fill"])
async def test_login_with_a_secret_then_extract_orders(run_bot: RunBot, kind: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/login"),
        node("user", kind, selector="#username", text="demo"),
        node("password", kind, selector="#password", text="{{password}}", press="Enter"),
        node(
            "orders",
            "extract",
            item_selector="tr.order",
            fields=[
                {"name": "id", "selector": ".order-id"},
                {"name": "date", "selector": ".date", "transforms": ["date"]},
                {"name": "total", "selector": ".total", "transforms": ["number"]},
                {"name": "status", "selector": ".status"},
            ],
        ),
    )
    document["variables"] = SECRET
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"id": o.id, "date": o.date.isoformat(), "total": float(o.total), "status": o.status}
        for o in ORDERS
    ]
    assert len(sink.rows) == 3
    assert not any("trawler" in text for text in all_texts(sink))


async def test_a_secret_never_shows_in_logs_or_errors(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/login"),
        # each of these would put the password into a message
        node("echo", "evaluate", expression="'{{password}}'", on_error="continue"),
        node("fill", "fill", selector="#no-{{password}}", text="x", on_error="continue"),
        node("gone", "navigate", url="{{site}}/nowhere/{{password}}"),
        timeouts={**FAST, "action_ms": 300},
        trace="full",  # HTML snapshots too: the 404 page repeats its URL
    )
    document["variables"] = SECRET
    finished, sink = await run_bot(document)
    assert finished.status == "failed"
    assert step(sink, "fill").error
    assert finished.error
    assert "HTTP 404" in finished.error
    assert evaluated(sink) == ["•••"]
    assert (step(sink, "gone").url or "").endswith("/nowhere/•••")
    assert "There is no page at <code>/nowhere/•••</code>" in (step(sink, "gone").html or "")
    texts = all_texts(sink)
    assert not any("trawler" in text for text in texts), texts


# --- select, hover ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "echo"),
    [({"value": "g"}, "hi|g"), ({"option_label": "Green"}, "hi|g"), ({"index": 0}, "hi|r")],
)
async def test_select(run_bot: RunBot, choice: dict[str, Any], echo: str) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/form"),
        node("first", "select", selector="#color", index=1),  # so that index 0 changes it back
        node("choose", "select", selector="#color", **choice),
        node("type", "type", selector="#q", text="hi"),
        node("go", "click", selector="#go"),
        node("read", "extract", mode="single", fields=[{"name": "echo", "selector": "#echo"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"echo": echo}]
    assert logged(sink, f"selected ['{echo[-1]}']")


async def test_hover(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/form"),
        node("hover", "hover", selector="#hover-me"),
        node(
            "read", "extract", mode="single", fields=[{"name": "hovered", "selector": "#hovered"}]
        ),
        timeouts={**FAST, "selector_ms": 0},
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"hovered": "yes"}]


# --- wait ------------------------------------------------------------------------------------


async def test_wait_modes(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/delayed", wait_until="commit"),
        node("dom", "wait", mode="load_state", load_state="domcontentloaded"),
        node("late", "wait", selector="#late", state="visible"),
        node("gone", "wait", selector="#never", state="detached"),
        node("pause", "wait", mode="time", ms=50),
        node("idle", "wait", mode="network_idle"),
        node("read", "extract", mode="single", fields=[{"name": "late", "selector": "#late"}]),
        timeouts={**FAST, "selector_ms": 0},
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"late": "ready"}]
    assert [s.status for s in sink.steps] == ["succeeded"] * 7


async def test_wait_for_a_selector_that_never_comes_fails(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/delayed"),
        node("wait", "wait", selector="#never", timeout_ms=300),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "failed"
    assert finished.error
    assert "'wait'" in finished.error
    assert step(sink, "wait").status == "failed"


# --- scroll ----------------------------------------------------------------------------------

SCROLL_STATE = "[window.scrollY, window.innerHeight, document.documentElement.scrollHeight]"


async def test_scroll_by_and_to_the_bottom(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/big?n=300"),
        node("by", "scroll", mode="by", pixels=500, pause_ms=200),
        node("after_by", "evaluate", expression=SCROLL_STATE),
        node("bottom", "scroll", mode="bottom", pause_ms=0),
        node("after_bottom", "evaluate", expression=SCROLL_STATE),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    (y1, _, _), (y2, inner, height) = (
        [int(n) for n in re.findall(r"\d+", text)] for text in evaluated(sink)
    )
    print(f"scrolled by to {y1}, to the bottom at {y2} of {height}")
    assert 0 < y1 <= 500
    assert y2 + inner >= height - 1


async def test_scroll_until_no_new_items(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/infinite"),
        node("scroll", "scroll", mode="until_no_new_items", item_selector="li.product"),
        node("items", "extract", item_selector="li.product", fields=NAME_PRICE),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert len(sink.rows) == len(PRODUCTS) == 45
    assert sink.rows == name_price(PRODUCTS)
    assert logged(sink, "45 items, stopped on no new items")


# --- extract ---------------------------------------------------------------------------------


async def test_extract_single_records_merge_into_one_row(run_bot: RunBot) -> None:
    product = PRODUCTS[6]
    document = bot(
        node("open", "navigate", url="{{site}}/product/" + product.id),
        node(
            "main",
            "extract",
            mode="single",
            fields=[
                {"name": "name", "selector": "h1.name"},
                {"name": "price", "selector": ".price", "transforms": ["number"]},
            ],
        ),
        node(
            "more",
            "extract",
            mode="single",
            fields=[
                {"name": "sku", "selector": "//dd[@class='sku']"},
                {"name": "stock", "selector": ".stock", "value": "attr:data-qty"},
                {"name": "missing", "selector": ".nothing-here"},
            ],
        ),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {
            "name": product.name,
            "price": float(product.price),
            "sku": product.sku,
            "stock": str(product.stock),
            "missing": None,
        }
    ]
    assert logged(sink, "fields matched nothing: missing", "warning")


async def test_extract_list_with_xpath_attributes_and_transforms(
    run_bot: RunBot, site: DemoSite
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop?page=3"),
        node(
            "items",
            "extract",
            item_selector="//ul[@class='products']/li",
            fields=[
                {"name": "id", "selector": "./@data-id"},
                {"name": "name", "selector": "./a[@class='title']", "transforms": ["upper"]},
                {
                    "name": "url",
                    "selector": "a.title",
                    "value": "attr:href",
                    "transforms": ["absolute_url"],
                },
                {"name": "price", "selector": ".price", "transforms": ["number"]},
                {
                    "name": "stars",
                    "selector": ".rating",
                    "value": "attr:data-stars",
                    "transforms": [{"op": "number", "integer": True}],
                },
                {
                    "name": "code",
                    "selector": ".price",
                    "transforms": [{"op": "regex", "pattern": r"\.(\d+)"}],
                },
            ],
        ),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {
            "id": p.id,
            "name": p.name.upper(),
            "url": site.base_url + p.url,
            "price": float(p.price),
            "stars": p.rating,
            "code": p.price_text.split(".")[1],
        }
        for p in page_of(3)
    ]


async def test_extract_nested_list_and_limit(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "page",
            "extract",
            mode="single",
            fields=[
                {"name": "heading", "selector": "h1"},
                {
                    "name": "products",
                    "selector": "li.product",
                    "fields": [
                        {"name": "id", "value": "attr:data-id"},
                        {"name": "name", "selector": "a.title"},
                    ],
                },
            ],
        ),
        node("few", "extract", item_selector="li.product", fields=NAME_PRICE, limit=3),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    nested = [{"id": p.id, "name": p.name} for p in page_of(1)]
    # a list extraction emits rows at once, each merged with the single record read before it
    assert sink.rows == [
        {"heading": "All products", "products": nested, **row} for row in name_price(page_of(1)[:3])
    ]


async def test_extract_an_empty_selector_reads_the_item_itself(run_bot: RunBot) -> None:
    # ExtractField.selector says "empty for the item element itself"; a builder sends ""
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "ids",
            "extract",
            item_selector="li.product",
            fields=[{"name": "id", "selector": "", "value": "attr:data-id"}],
        ),
        renderer="http",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"id": p.id} for p in page_of(1)]


# --- paginate --------------------------------------------------------------------------------


def paginate_bot(paginate: dict[str, Any], url: str = "{{site}}/shop", **settings: Any) -> Any:
    return bot(
        node("open", "navigate", url=url),
        paginate,
        node("items", "extract", item_selector="li.product", fields=NAME_PRICE),
        edges=[("open", "pages"), ("pages", "items", "body")],
        **settings,
    )


async def test_paginate_next_link(run_bot: RunBot) -> None:
    finished, sink = await run_bot(paginate_bot(node("pages", "paginate", next_selector="a.next")))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(PRODUCTS)
    assert len(sink.rows) == 45
    assert finished.pages == PAGE_COUNT
    assert logged(sink, f"stopped: no next page after page {PAGE_COUNT}")


async def test_paginate_over_http_reads_ahead_without_loading_past_its_limits(
    run_bot: RunBot,
) -> None:
    document = paginate_bot(node("pages", "paginate", next_selector="a.next"), renderer="http")
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(PRODUCTS)
    assert finished.pages == PAGE_COUNT
    two = paginate_bot(
        node("pages", "paginate", next_selector="a.next", max_pages=2), renderer="http"
    )
    finished, sink = await run_bot(two)
    assert sink.rows == name_price(PRODUCTS[:20])
    assert finished.pages == 2  # no page read ahead past max_pages


async def test_paginate_over_http_goes_next_from_where_the_body_left_the_page(
    run_bot: RunBot,
) -> None:
    # the body moves the page to a product, which has no next link: the page read ahead
    # from the list is not used, as going next from the product finds nothing
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next"),
        node("away", "navigate", url="{{site}}/product/p001"),
        node("sku", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "pages"), ("pages", "away", "body"), ("away", "sku")],
        renderer="http",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"sku": PRODUCTS[0].sku}]
    assert logged(sink, "stopped: no next page after page 1")


async def test_paginate_next_button_on_the_javascript_shop(run_bot: RunBot) -> None:
    document = paginate_bot(
        node("pages", "paginate", next_selector="button.next"), url="{{site}}/js/shop"
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(PRODUCTS)
    assert len(sink.rows) == 45


async def test_paginate_url_template_stops_on_404(run_bot: RunBot) -> None:
    document = bot(
        node(
            "pages",
            "paginate",
            mode="url_template",
            url_template="{{site}}/shop?page={{page}}",
            max_pages=100,
        ),
        node("items", "extract", item_selector="li.product", fields=NAME_PRICE),
        edges=[("pages", "items", "body")],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(PRODUCTS)
    assert logged(sink, f"stopped: page {PAGE_COUNT + 1} does not exist (404)")


async def test_paginate_max_pages(run_bot: RunBot) -> None:
    finished, sink = await run_bot(
        paginate_bot(node("pages", "paginate", next_selector="a.next", max_pages=2))
    )
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(PRODUCTS[:20])
    assert logged(sink, "stopped: max_pages 2 reached")


async def test_paginate_stops_when_a_page_adds_nothing_new(run_bot: RunBot) -> None:
    # the "next" link here is the current page's own number: it leads back to the same rows
    finished, sink = await run_bot(
        paginate_bot(node("pages", "paginate", next_selector="a.page.current"))
    )
    assert finished.status == "succeeded", finished.error
    assert finished.pages == 2
    assert logged(sink, "stopped: page 2 repeats an earlier page")
    assert sink.rows == name_price(page_of(1))  # the repeated page's rows are not emitted


@pytest.mark.parametrize("renderer", ["browser", "http"])
@pytest.mark.parametrize("selector", ["a.next", "a.next:visible"])
async def test_paginate_stops_at_a_disabled_next_link(
    run_bot: RunBot, renderer: str, selector: str
) -> None:
    if renderer == "http" and selector.endswith(":visible"):
        selector = "a.next"  # a Playwright-only selector needs the browser
    document = bot(
        node("open", "navigate", url="{{site}}/lab/paged"),
        node("pages", "paginate", next_selector=selector),
        node("rows", "extract", item_selector="li.row", fields=[{"name": "row"}]),
        edges=[("open", "pages"), ("pages", "rows", "body")],
        renderer=renderer,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert [r["row"] for r in sink.rows] == [f"Row {p}.{i}" for p in (1, 2, 3) for i in (1, 2)]
    assert logged(sink, "stopped: no next page after page 3")


async def test_paginate_url_template_with_no_first_page_fails(run_bot: RunBot) -> None:
    document = bot(
        node("pages", "paginate", mode="url_template", url_template="{{site}}/shoop?page={{page}}"),
        node(
            "items", "extract", item_selector="li.product", fields=[{"name": "n", "selector": "a"}]
        ),
        edges=[("pages", "items", "body")],
    )
    finished, _ = await run_bot(document)
    assert finished.status == "failed"
    assert finished.error is not None
    assert "HTTP 404" in finished.error


async def test_paginate_by_click_keeps_to_max_pages(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/js/shop"),
        node("pages", "paginate", next_selector="button.next"),
        node(
            "items", "extract", item_selector="li.product", fields=[{"name": "n", "selector": "a"}]
        ),
        edges=[("open", "pages"), ("pages", "items", "body")],
        max_pages=3,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert len(sink.rows) == 30
    assert finished.pages == 3


async def test_paginate_keeps_pages_whose_rows_each_appeared_before(run_bot: RunBot) -> None:
    # category and stock repeat across products: page 5's rows were all seen one by one
    fields = [
        {"name": "category", "selector": ".category"},
        {"name": "stock", "selector": ".stock"},
    ]
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next"),
        node("items", "extract", item_selector="li.product", fields=fields),
        edges=[("open", "pages"), ("pages", "items", "body")],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"category": p.category, "stock": p.stock_text} for p in PRODUCTS]


# --- for_each --------------------------------------------------------------------------------


def detail_bot(**for_each: Any) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "each",
            "for_each",
            selector="li.product",
            link="a.title",
            fields=[{"name": "name", "selector": "a.title"}],
            **for_each,
        ),
        node(
            "detail",
            "extract",
            mode="single",
            fields=[
                {"name": "sku", "selector": ".sku"},
                {
                    "name": "qty",
                    "selector": ".stock",
                    "value": "attr:data-qty",
                    "transforms": [{"op": "number", "integer": True}],
                },
            ],
        ),
        edges=[("open", "each"), ("each", "detail", "body")],
    )


def details(products: Any) -> list[dict[str, Any]]:
    return [{"name": p.name, "sku": p.sku, "qty": p.stock} for p in products]


async def test_for_each_merges_item_and_page_fields_in_page_order(run_bot: RunBot) -> None:
    finished, sink = await run_bot(detail_bot(concurrency=4))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == details(page_of(1))
    assert finished.pages == 11


async def test_for_each_limit(run_bot: RunBot) -> None:
    finished, sink = await run_bot(detail_bot(limit=3))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == details(page_of(1)[:3])


async def test_for_each_inside_paginate(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next", max_pages=2),
        node("each", "for_each", selector="li.product a.title", concurrency=4),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "pages"), ("pages", "each", "body"), ("each", "detail", "body")],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"sku": p.sku} for p in PRODUCTS[:20]]


# --- screenshot ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["viewport", "full_page", "element"])
async def test_screenshot(run_bot: RunBot, mode: str) -> None:
    shot = {"selector": "h1"} if mode == "element" else {}
    document = bot(
        node("open", "navigate", url="{{site}}/lab/big?n=100"),
        node("shot", "screenshot", mode=mode, **shot),
        viewport={"width": 800, "height": 600},
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    image = step(sink, "shot").screenshot
    assert image is not None
    width, height = png_size(image)
    print(f"{mode}: {width}x{height}, {len(image)} bytes")
    if mode == "viewport":
        assert (width, height) == (800, 600)
    elif mode == "full_page":
        assert width == 800
        assert height > 600
    else:
        assert width < 800
        assert height < 100
    assert step(sink, "open").screenshot is None  # trace "errors": no screenshot otherwise


# --- evaluate, condition, set_variable -------------------------------------------------------


async def test_evaluate_saves_a_variable_used_later(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "href",
            "evaluate",
            expression="document.querySelector('a.next').getAttribute('href')",
            save_as="next",
        ),
        node("go", "navigate", url="{{site}}{{next}}"),
        node("items", "extract", item_selector="li.product", fields=NAME_PRICE),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == name_price(page_of(2))


def branch_bot(condition: dict[str, Any], **variables: Any) -> dict[str, Any]:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        condition,
        node("yes", "extract", mode="single", fields=[{"name": "yes", "selector": "h1"}]),
        node("no", "extract", mode="single", fields=[{"name": "no", "selector": "h1"}]),
        edges=[("open", "test"), ("test", "yes", "true"), ("test", "no", "false")],
    )
    document["variables"] = variables
    return document


@pytest.mark.parametrize(
    ("selector", "present", "branch"),
    [("a.next", True, "yes"), ("a.prev", True, "no"), ("a.prev", False, "yes")],
)
async def test_condition_on_a_selector(
    run_bot: RunBot, selector: str, present: bool, branch: str
) -> None:
    document = branch_bot(node("test", "condition", selector=selector, present=present))
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{branch: "All products"}]


@pytest.mark.parametrize(
    ("value", "op", "operand", "result"),
    [
        ("3", "eq", 3, True),
        ("3", "ne", 3, False),
        ("10", "gt", 9, True),
        ("10", "lt", 9, False),
        ("copper kettle", "contains", "kettle", True),
        ("copper kettle", "matches", r"^c\w+ k", True),
        ("copper kettle", "matches", r"^k", False),
        ("", "truthy", None, False),
        ("", "exists", None, True),
    ],
)
async def test_condition_on_a_variable(
    run_bot: RunBot, value: str, op: str, operand: Any, result: bool
) -> None:
    # no page is needed: the branches' nodes only log, so no browser starts
    document = bot(
        node("test", "condition", variable="x", op=op, value=operand),
        node("yes", "set_variable", name="y", value="yes"),
        node("no", "set_variable", name="y", value="no"),
        edges=[("test", "yes", "true"), ("test", "no", "false")],
    )
    document["variables"] = {"x": value}
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert logged(sink, f"condition is {str(result).lower()}")
    assert [s.node_id for s in sink.steps] == ["test", "yes" if result else "no"]


async def test_set_variable_literal_and_from_page(run_bot: RunBot) -> None:
    document = bot(
        node("id", "set_variable", name="pid", value=PRODUCTS[3].id),
        node("url", "set_variable", name="list", value="{{site}}/shop"),
        node("open", "navigate", url="{{list}}"),
        node(
            "next",
            "set_variable",
            name="next",
            from_page={
                "name": "x",
                "selector": "a.next",
                "value": "attr:href",
                "transforms": ["absolute_url"],
            },
        ),
        node("go", "navigate", url="{{next}}"),
        node("items", "extract", item_selector="li.product", fields=NAME_PRICE),
        node("product", "navigate", url="{{site}}/product/{{pid}}"),
        node("name", "extract", mode="single", fields=[{"name": "product", "selector": "h1"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    # a single record after a list becomes a row of its own: the list rows went out before it
    assert sink.rows == [*name_price(page_of(2)), {"product": PRODUCTS[3].name}]


# --- dialogs, pop-ups, downloads, page errors ------------------------------------------------


async def test_dialogs_and_popups_in_a_loop_do_not_hang(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/alerts"),
        node("pause", "wait", mode="time", ms=500),
        node(
            "read", "extract", mode="single", fields=[{"name": "content", "selector": "#content"}]
        ),
        node("again", "extract", item_selector="#content", fields=[{"name": "x"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"content": "Still here", "x": "Still here"}]
    for kind in ("alert", "confirm", "prompt"):
        assert logged(sink, f"{kind} dialog accepted")
    assert logged(sink, "dialogs so far; answering them silently", "warning")
    assert logged(sink, "closed a pop-up")


DIALOG_FIELDS = [
    {"name": name, "selector": f"#{name}"}
    for name in ("confirm", "prompt", "frame-confirm", "frame-prompt")
]


@pytest.mark.parametrize(
    ("dialogs", "answers", "logs"),
    [
        (None, ["true", ""], ["confirm dialog accepted", "prompt dialog accepted"]),
        (
            {"confirm": False, "prompt": "{{name}} L."},
            ["false", "Ada L."],
            ["confirm dialog dismissed", "prompt dialog accepted"],
        ),
        (
            {"prompt": None},
            ["true", "null"],
            ["confirm dialog accepted", "prompt dialog dismissed"],
        ),
    ],
)
async def test_dialogs_are_answered_as_the_bot_says_in_every_frame(
    run_bot: RunBot,
    other_site: DemoSite,
    dialogs: dict[str, Any] | None,
    answers: list[str],
    logs: list[str],
) -> None:
    # the frame comes from another origin, which Chromium renders in a process of its own
    document = bot(
        node("open", "navigate", url="{{site}}/lab/dialogs?frame={{frame}}"),
        node("wait", "wait", selector="#frame-prompt", state="attached"),
        node("read", "extract", mode="single", fields=DIALOG_FIELDS),
    )
    if dialogs is not None:
        document["settings"]["dialogs"] = dialogs
    document["variables"] = {"name": "Ada"}
    frame = f"{other_site.base_url}/lab/dialogs-frame"
    finished, sink = await run_bot(document, frame=frame)
    assert finished.status == "succeeded", finished.error
    names = [f["name"] for f in DIALOG_FIELDS]
    assert sink.rows == [dict(zip(names, answers * 2, strict=True))]
    for text in logs:
        assert [m for m in messages(sink) if m.startswith(text)] == [
            f"{text}: '{'Proceed?' if 'confirm' in text else 'Your name?'}'"
        ] * 2  # the page's and the frame's


async def test_unwanted_popups_are_closed(run_bot: RunBot, site: DemoSite) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/popup"),
        node("js", "click", selector="#js-open"),
        node("link", "click", selector="#open"),
        node("pause", "wait", mode="time", ms=300),
        node("read", "extract", mode="single", fields=[{"name": "title", "selector": "h1"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"title": "Popups"}]
    closed = [m for m in messages(sink) if m.startswith("closed a pop-up")]
    assert len(closed) == 2, closed
    assert step(sink, "read").url == f"{site.base_url}/lab/popup"


async def test_a_download_does_not_hang(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/download"),
        node("click", "click", selector="#dl"),
        node("read", "extract", mode="single", fields=[{"name": "title", "selector": "h1"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"title": "Download"}]
    assert logged(sink, "download refused: file.csv")


async def test_a_page_error_is_a_warning(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/jserror"),
        node("read", "extract", mode="single", fields=[{"name": "ok", "selector": "#ok"}]),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"ok": "ok"}]
    assert logged(sink, "boom from page", "warning")


@pytest.mark.parametrize("renderer", ["browser", "http"])
async def test_fields_written_from_the_page_url_title_time_and_variables(
    run_bot: RunBot, site: DemoSite, renderer: str
) -> None:
    """Rows say where they came from: {{current.url}} and {{current.title}} of the page each
    row was read on, {{now}}, and variables, with transforms like any field."""
    fields = [
        {"name": "name", "selector": "a.title"},
        {"name": "source", "template": "{{current.url}}"},
        {"name": "listing", "template": "{{current.title}} (page {{page}})"},
        {
            "name": "shop",
            "template": "{{site}}",
            "transforms": [{"op": "regex", "pattern": ":(\\d+)$"}],
        },
        {"name": "at", "template": "{{now}}"},
    ]
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next", max_pages=2),
        node("items", "extract", item_selector="li.product", fields=fields, limit=1),
        edges=[("open", "pages"), ("pages", "items", "body")],
        renderer=renderer,
    )
    before = datetime.now(UTC).replace(microsecond=0)
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert [{k: v for k, v in row.items() if k != "at"} for row in sink.rows] == [
        {
            "name": PRODUCTS[0].name,
            "source": f"{site.base_url}/shop",
            "listing": "All products, page 1 · Trawler Demo Shop (page 1)",
            "shop": site.base_url.rsplit(":", 1)[1],
        },
        {
            "name": page_of(2)[0].name,
            "source": f"{site.base_url}/shop?page=2",
            "listing": "All products, page 2 · Trawler Demo Shop (page 2)",
            "shop": site.base_url.rsplit(":", 1)[1],
        },
    ]
    for row in sink.rows:
        assert before <= datetime.fromisoformat(row["at"]) <= datetime.now(UTC)


async def test_a_field_writes_what_an_evaluate_step_kept(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node(
            "count",
            "evaluate",
            expression="document.querySelectorAll('li.product').length",
            save_as="shown",
        ),
        node(
            "read",
            "extract",
            mode="single",
            fields=[
                {"name": "first", "selector": "a.title"},
                {"name": "shown", "template": "{{shown}} on {{current.url}}"},
            ],
        ),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"first": PRODUCTS[0].name, "shown": f"{len(page_of(1))} on {sink.steps[0].url}"}
    ]
