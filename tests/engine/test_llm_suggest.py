"""Selectors from a model, verified on the page: what works becomes an extract node that runs
without the model and gives the same rows."""

from __future__ import annotations

from typing import Any

import httpx

from engine import Endpoint, Llm, Models, SchemaField, suggest_selectors
from tests.engine.conftest import RunBot, bot, node
from tests.site.llm import ModelServer
from trawler.demo_site import PRODUCTS, DemoSite

FIELDS = [
    SchemaField(name="name", required=True, description="The product's name"),
    SchemaField(name="price", type="number", description="Its price"),
    SchemaField(name="url", type="url"),
]


def _llm(server: ModelServer) -> Llm:
    endpoint = Endpoint("openai", server.url + "/v1", "gpt-test", context_tokens=8192)
    return Llm(Models({"openai": endpoint}, "openai"), 30)


async def test_suggested_selectors_are_tried_asked_again_and_make_an_extract_node(
    llm: ModelServer, site: DemoSite, run_bot: RunBot
) -> None:
    wrong = {
        "item_selector": "div.card",
        "fields": [{"name": "name", "selector": "a.title"}],
    }
    right = {
        "item_selector": "li.product",
        "fields": [
            {"name": "name", "selector": "a.title"},
            {"name": "price", "selector": ".price"},
            {"name": "url", "selector": "a.title", "value": "attr:href"},
        ],
    }
    llm.answer("Fields wanted", wrong, right)
    html = httpx.get(f"{site.base_url}/shop").text
    model = _llm(llm)
    try:
        found = await suggest_selectors(model, html, f"{site.base_url}/shop", FIELDS, mode="list")
    finally:
        await model.aclose()

    first, second = llm.chats()
    page = first["messages"][1]["content"]
    assert '<li class="product" data-id="p001">' in page  # the outline, not the Markdown
    assert "- name (string): The product's name" in page
    assert "- price (number): Its price" in page
    assert "item_selector 'div.card' matched no item" in second["messages"][1]["content"]
    assert found.item_selector == "li.product"
    assert found.items == 10
    assert [(f.name, f.matched) for f in found.fields] == [("name", 10), ("price", 10), ("url", 10)]
    assert found.fields[0].samples == [p.name for p in PRODUCTS[:3]]
    assert found.model == "gpt-test"
    assert found.tokens_in > 0

    assert found.extract is not None
    document = bot(
        node("open", "navigate", url="{{site}}/shop"), node("rows", "extract", **found.extract)
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"name": p.name, "price": p.price, "url": f"{site.base_url}/product/{p.id}"}
        for p in PRODUCTS[:10]
    ]


async def test_a_field_no_selector_reaches_is_reported_and_left_out(
    llm: ModelServer, site: DemoSite
) -> None:
    answer: dict[str, Any] = {
        "fields": [
            {"name": "name", "selector": "h1"},
            {"name": "price", "selector": ".nowhere"},
            {"name": "url", "selector": "a[", "value": "attr:href"},
        ]
    }
    llm.answer("Fields wanted", answer)
    html = httpx.get(f"{site.base_url}/product/p001").text
    model = _llm(llm)
    try:
        found = await suggest_selectors(
            model, html, f"{site.base_url}/product/p001", FIELDS, mode="single"
        )
    finally:
        await model.aclose()
    assert len(llm.chats()) == 2  # asked again about the two that failed, which fail again
    name, price, url = found.fields
    assert (name.matched, name.samples) == (1, [PRODUCTS[0].name])
    assert (price.matched, price.error) == (0, None)
    assert url.matched == 0
    assert url.error is not None
    assert "a[" in url.error
    assert found.extract == {
        "mode": "single",
        "fields": [{"name": "name", "selector": "h1", "value": "text"}],
    }
