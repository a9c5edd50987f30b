"""Extraction inside open shadow roots (web components), in real Chromium on /lab/components."""

from __future__ import annotations

from typing import Any

from tests.engine.conftest import RunBot, bot, node
from trawler.demo_site import DemoSite

TOOL_FIELDS = [
    {"name": "name", "selector": ".name"},
    {"name": "price", "selector": ".amount", "transforms": ["number"]},
    {"name": "url", "selector": "a", "value": "attr:href", "transforms": ["absolute_url"]},
]


def _bot(*nodes: dict[str, Any]) -> dict[str, Any]:
    return bot(node("open", "navigate", url="{{site}}/lab/components"), *nodes)


async def test_extract_reads_rows_inside_nested_open_shadow_roots(
    run_bot: RunBot, site: DemoSite
) -> None:
    # the rows live in <shop-list>'s shadow root, each amount in a <price-tag>'s root inside it
    document = _bot(
        node("rows", "extract", item_selector="shop-list .row", fields=TOOL_FIELDS),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"name": "Claw Hammer", "price": 24.99, "url": f"{site.base_url}/product/p001"},
        {"name": "Hand Saw", "price": 18.5, "url": f"{site.base_url}/product/p002"},
        {"name": "Tape", "price": 7.25, "url": f"{site.base_url}/product/p003"},
    ]


async def test_extraction_matches_what_playwright_selectors_match(run_bot: RunBot) -> None:
    # a child combinator from the host into its root, and XPath, as a click or a wait sees them
    document = _bot(
        node("wait", "wait", selector="shop-list > ul > li.row >> nth=2", state="attached"),
        node(
            "read",
            "extract",
            mode="single",
            fields=[
                {"name": "child", "selector": "shop-list > ul > li.row .name", "many": True},
                {"name": "xpath", "selector": "//shop-list//li[2]//span[@class='name']"},
                {"name": "declared", "selector": "#declared .declared"},
            ],
        ),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"child": ["Claw Hammer", "Hand Saw", "Tape"], "xpath": "Hand Saw", "declared": "Declared"}
    ]


async def test_slotted_content_reads_where_the_page_shows_it(run_bot: RunBot) -> None:
    # a slotted title reads inside the heading; an empty slot shows its fallback; what no slot
    # shows is still there, after the shadow content
    document = _bot(
        node(
            "cards",
            "extract",
            item_selector="shop-card",
            fields=[
                {"name": "id", "value": "attr:id"},
                {"name": "heading", "selector": ".title"},
                {"name": "slotted", "selector": "[slot=title]"},
                {"name": "text"},
            ],
        ),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {
            "id": "kettle",
            "heading": "Copper Kettle",
            "slotted": "Copper Kettle",
            "text": "Copper Kettle Shiny unshown",
        },
        {"id": "blank", "heading": "Untitled", "slotted": None, "text": "Untitled Plain"},
    ]


async def test_a_closed_shadow_root_stays_unreadable_next_to_an_open_one(run_bot: RunBot) -> None:
    # neither the page's scripts nor Playwright can open it; the host's own children still read
    document = _bot(
        node(
            "read",
            "extract",
            mode="single",
            fields=[
                {"name": "note", "selector": "sealed-box .open-note"},
                {"name": "secret", "selector": "sealed-box .secret"},
                {"name": "text", "selector": "sealed-box"},
                {"name": "open", "selector": "shop-list .name"},
            ],
        ),
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {
            "note": "outside the closed root",
            "secret": None,
            "text": "outside the closed root",
            "open": "Claw Hammer",
        }
    ]
