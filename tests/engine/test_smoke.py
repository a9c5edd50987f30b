from __future__ import annotations

from tests.engine.conftest import RunBot, bot, node
from trawler.demo_site.catalog import PRODUCTS


async def test_catalog_through_all_pages(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("pages", "paginate", next_selector="a.next"),
        node(
            "items",
            "extract",
            item_selector="li.product",
            fields=[{"name": "name", "selector": "a.title"}],
        ),
        edges=[("open", "pages"), ("pages", "items", "body")],
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded"
    assert [r["name"] for r in sink.rows] == [p.name for p in PRODUCTS]
