"""The two renderers and `auto`: same rows from Chromium and plain HTTP, and when auto switches."""

from __future__ import annotations

from typing import Any

import pytest

from browser_pool import BrowserPool
from engine import RunStarted, WorkflowInvalid
from tests.conftest import browser_processes
from tests.engine.conftest import RunBot, bot, logged, node
from trawler.demo_site import DemoSite
from trawler.demo_site.catalog import PAGE_COUNT, PRODUCTS, page_of

CATALOG_FIELDS = [
    {"name": "id", "value": "attr:data-id"},  # the item itself
    {"name": "name", "selector": "a.title"},
    {"name": "url", "selector": "a.title", "value": "attr:href", "transforms": ["absolute_url"]},
    {"name": "price", "selector": ".price", "transforms": ["number"]},
    {"name": "category", "selector": "./span[@class='category']"},
    {
        "name": "rating",
        "selector": ".rating",
        "value": "attr:data-stars",
        "transforms": [{"op": "number", "integer": True}],
    },
    {"name": "stock", "selector": ".stock"},
]


def catalog_rows(base_url: str, products: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "name": p.name,
            "url": base_url + p.url,
            "price": float(p.price),
            "category": p.category,
            "rating": p.rating,
            "stock": p.stock_text,
        }
        for p in products
    ]


def catalog_bot(renderer: str) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next"),
        node("items", "extract", item_selector="li.product", fields=CATALOG_FIELDS),
        edges=[("open", "pages"), ("pages", "items", "body")],
        renderer=renderer,
    )


async def test_http_and_browser_give_the_same_rows(run_bot: RunBot, site: DemoSite) -> None:
    expected = catalog_rows(site.base_url, PRODUCTS)
    results = {}
    for renderer in ("http", "browser"):
        finished, sink = await run_bot(catalog_bot(renderer))
        assert finished.status == "succeeded", finished.error
        assert finished.pages == PAGE_COUNT
        started = next(e for e in sink.events if isinstance(e, RunStarted))
        assert started.renderer == renderer
        results[renderer] = sink.rows
    assert results["http"] == results["browser"] == expected
    assert len(expected) == 45


async def test_http_renderer_refuses_browser_nodes(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("next", "click", selector="a.next"),
        renderer="http",
    )
    with pytest.raises(WorkflowInvalid) as caught:
        await run_bot(document)
    [issue] = caught.value.issues
    assert issue.node_id == "next"
    assert "click needs the browser" in issue.message
    assert "'auto' or 'browser'" in issue.message


async def test_http_renderer_reads_static_pages_only(run_bot: RunBot) -> None:
    # no script runs: the JavaScript shop's list is empty, and the run says so
    document = bot(
        node("open", "navigate", url="{{site}}/js/shop"),
        node("items", "extract", item_selector="li.product", fields=[{"name": "name"}]),
        renderer="http",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == []
    assert logged(sink, "item_selector 'li.product' matched nothing", "warning")
    assert not logged(sink, "switched to the browser")


async def test_for_each_inside_paginate_over_http(run_bot: RunBot) -> None:
    document = bot(
        node(
            "pages",
            "paginate",
            mode="url_template",
            url_template="{{site}}/shop?page={{page}}",
            max_pages=100,
        ),
        node(
            "each",
            "for_each",
            selector="li.product",
            link="a.title",
            fields=[{"name": "name", "selector": "a.title"}],
            concurrency=4,
        ),
        node(
            "detail",
            "extract",
            mode="single",
            fields=[
                {"name": "sku", "selector": ".sku"},
                {
                    "name": "page",
                    "selector": "h1",
                    "transforms": [{"op": "replace", "pattern": ".+", "replacement": "{{page}}"}],
                },
            ],
        ),
        edges=[("pages", "each", "body"), ("each", "detail", "body")],
        renderer="http",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"name": p.name, "sku": p.sku, "page": str(1 + i // 10)} for i, p in enumerate(PRODUCTS)
    ]
    assert finished.pages == PAGE_COUNT + len(PRODUCTS)


async def test_auto_stays_on_http_for_a_static_page(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/static-list"),
        node("ready", "wait", selector="div.card"),
        node("loaded", "wait", mode="load_state", load_state="load"),
        node("idle", "wait", mode="network_idle"),
        node(
            "cards",
            "extract",
            item_selector="div.card",
            fields=[
                {"name": "title", "selector": "h2"},
                {"name": "link", "selector": "a", "value": "attr:href"},
            ],
        ),
        renderer="auto",
    )
    async with BrowserPool() as pool:
        finished, sink = await run_bot(document, pool=pool)
        assert pool.launches == 0
        assert browser_processes() == []
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"title": f"Card {i}", "link": f"/product/p{i:03d}"} for i in range(1, 13)]
    assert not logged(sink, "switched to the browser")


async def test_auto_switches_to_the_browser_when_the_list_needs_javascript(
    run_bot: RunBot, site: DemoSite
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/js/shop"),
        node("pages", "paginate", next_selector="button.next"),
        node("items", "extract", item_selector="li.product", fields=CATALOG_FIELDS),
        edges=[("open", "pages"), ("pages", "items", "body")],
        renderer="auto",
    )
    async with BrowserPool() as pool:
        finished, sink = await run_bot(document, pool=pool)
        assert pool.launches == 1
    assert finished.status == "succeeded", finished.error
    assert sink.rows == catalog_rows(site.base_url, PRODUCTS)
    switched = "switched to the browser: 'li.product' is not in the static HTML, which has scripts"
    assert logged(sink, switched)
    notes = [(s.node_id, s.note) for s in sink.steps if s.note]  # on the step lines, the replay
    assert notes[0] == ("items", switched)
    assert notes[-1] == ("pages", f"stopped: no next page after page {PAGE_COUNT}")


async def test_auto_switches_for_a_node_that_needs_the_browser(run_bot: RunBot) -> None:
    # starts over HTTP (no node needs the browser up front), switches at the wait for #late
    document = bot(
        node("open", "navigate", url="{{site}}/lab/delayed"),
        node("late", "wait", selector="#late"),
        node("read", "extract", mode="single", fields=[{"name": "late", "selector": "#late"}]),
        renderer="auto",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"late": "ready"}]
    assert logged(sink, "switched to the browser: '#late' is not in the static HTML")
    [switches] = [m for m in (e.message for e in sink.logs) if "switched" in m]
    assert switches


async def test_auto_with_a_browser_node_starts_in_the_browser(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("next", "click", selector="a.next", wait_for="navigation"),
        node(
            "items",
            "extract",
            item_selector="li.product",
            fields=[{"name": "name", "selector": "a.title"}],
        ),
        renderer="auto",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"name": p.name} for p in page_of(2)]
    assert not logged(sink, "switched to the browser")
