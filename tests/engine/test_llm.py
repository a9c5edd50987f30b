"""llm_extract end to end: the real instructor, openai and ollama clients against a local server
that speaks the OpenAI chat-completions and Ollama APIs (tests/site/llm.py), pages from the
fixture site in the browser and over HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine import Endpoint, Models
from proxies import NetworkPolicy
from tests.conftest import free_port
from tests.engine.conftest import RunBot, bot, logged, node
from tests.site.llm import ModelServer, Raw
from trawler.demo_site import PRODUCTS

PAGE_ONE = PRODUCTS[:10]


def openai_models(server: ModelServer, **endpoint: Any) -> Models:
    options = {"model": "gpt-test", "context_tokens": 8192, **endpoint}
    return Models({"openai": Endpoint("openai", server.url + "/v1", **options)}, "openai")


def ollama_models(server: ModelServer, **endpoint: Any) -> Models:
    return Models({"ollama": Endpoint("ollama", server.url, "llama3.2", **endpoint)}, "ollama")


FIELDS = [
    {"name": "name", "required": True, "description": "The product's name"},
    {"name": "price", "type": "number"},
    {"name": "url", "type": "url"},
]


def listing(site: str) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "price": float(p.price), "url": f"{site}/product/{p.id}"} for p in PAGE_ONE
    ]


def shop_bot(renderer: str = "http", **params: Any) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("ai", "llm_extract", **{"fields": FIELDS, **params}),
        renderer=renderer,
    )


@pytest.mark.parametrize("renderer", ["browser", "http"])
async def test_rows_from_a_list_page_by_tool_call(
    run_bot: RunBot, llm: ModelServer, site: Any, renderer: str
) -> None:
    expected = listing(site.base_url)
    llm.answer("Copper Kettle", {"rows": expected + expected[:2]})  # a repeat is dropped
    finished, sink = await run_bot(
        shop_bot(renderer, prompt="Skip nothing."), models=openai_models(llm)
    )
    assert finished.status == "succeeded", finished.error
    assert sink.rows == expected
    [chat] = llm.chats()
    assert chat["tools"][0]["function"]["parameters"]["properties"]["rows"]
    assert chat["temperature"] == 0
    system, page = chat["messages"][0]["content"], chat["messages"][1]["content"]
    assert "Skip nothing." in system
    # the page as Markdown, links absolute, the navigation and footer left out
    assert f"[Copper Kettle]({site.base_url}/product/p001)" in page
    assert "<li" not in page
    assert "Next" not in page
    step = next(s for s in sink.steps if s.node_id == "ai")
    assert step.llm is not None
    assert step.llm.model == "gpt-test"
    assert step.llm.calls == 1
    assert step.llm.tokens_in > 100
    assert step.llm.tokens_out > 10
    assert finished.llm_tokens == step.llm.tokens_in + step.llm.tokens_out
    assert logged(sink, "gpt-test: 1 call(s)")


async def test_ollama_gets_json_mode_after_its_model_is_checked(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    product = PRODUCTS[0]
    llm.answer(
        "SKU",
        {"name": product.name, "sku": product.sku, "released": "2024-03-01", "tags": ["copper"]},
    )
    fields = [
        {"name": "name", "required": True},
        {"name": "sku"},
        {"name": "released", "type": "date"},
        {"name": "tags", "many": True},
    ]
    document = bot(
        node("open", "navigate", url="{{site}}/product/p001"),
        node("ai", "llm_extract", mode="single", fields=fields, temperature=0.3),
        renderer="http",
    )
    finished, sink = await run_bot(document, models=ollama_models(llm))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"name": product.name, "sku": product.sku, "released": "2024-03-01", "tags": ["copper"]}
    ]
    show, chat = llm.requests
    assert show["path"] == "/api/show"
    assert show["model"] == "llama3.2"
    assert chat["response_format"] == {"type": "json_object"}
    assert "tools" not in chat
    assert chat["temperature"] == 0.3


async def test_an_answer_that_does_not_fit_is_asked_again(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    expected = listing(site.base_url)
    bad_price = [{**expected[0], "price": "five dollars"}]
    llm.answer(
        "Copper Kettle",
        Raw("Here are the rows you asked for"),
        {"rows": bad_price},
        {"rows": expected},
    )
    finished, sink = await run_bot(shop_bot(), models=openai_models(llm))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == expected
    chats = llm.chats()
    assert len(chats) == 3
    # the re-ask carries what was wrong with the previous answer
    assert "price" in str(chats[2]["messages"][-1]["content"])
    step = next(s for s in sink.steps if s.node_id == "ai")
    assert step.llm is not None
    assert step.llm.calls == 3


async def test_after_the_reasks_the_step_fails_naming_the_field_and_rows_are_kept(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    expected = listing(site.base_url)
    llm.answer("Copper Kettle", {"rows": expected})
    llm.answer("Granite Whisk", {"rows": [{"price": 3}]})  # never a name, which is required
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("ai", "llm_extract", fields=FIELDS),
        node("next", "navigate", url="{{site}}/shop?page=2"),
        node("ai2", "llm_extract", fields=FIELDS, reasks=1),
        renderer="http",
    )
    finished, sink = await run_bot(document, models=openai_models(llm))
    assert finished.status == "failed"
    assert finished.error is not None
    assert "node 'ai2'" in finished.error
    assert "did not fit the schema after 2 attempt(s)" in finished.error
    assert "rows.0.name: Field required" in finished.error
    assert sink.rows == expected


async def test_a_model_that_is_not_pulled(run_bot: RunBot, llm: ModelServer) -> None:
    finished, _ = await run_bot(shop_bot(model="mistral"), models=ollama_models(llm))
    assert finished.status == "failed"
    assert "model 'mistral' is not pulled on the Ollama server" in str(finished.error)
    assert "ollama pull mistral" in str(finished.error)
    assert not llm.chats()


@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_a_model_server_that_is_down(run_bot: RunBot, kind: str) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    endpoint = Endpoint(kind, down if kind == "ollama" else down + "/v1", "llama3.2")  # type: ignore[arg-type]
    finished, _ = await run_bot(shop_bot(), models=Models({kind: endpoint}, kind))
    assert finished.status == "failed"
    assert f"at {down}" in str(finished.error)
    assert "does not answer" in str(finished.error)


async def test_a_refused_api_key(run_bot: RunBot, llm: ModelServer) -> None:
    llm.api_key = "right"
    finished, _ = await run_bot(shop_bot(), models=openai_models(llm, api_key="wrong"))
    assert "refused the API key: Incorrect API key provided" in str(finished.error)


async def test_a_context_too_small_for_the_schema(run_bot: RunBot, llm: ModelServer) -> None:
    finished, _ = await run_bot(shop_bot(), models=openai_models(llm, context_tokens=1200))
    assert "the context of gpt-test (1200 tokens) is too small" in str(finished.error)
    assert not llm.chats()


async def test_a_context_the_server_says_was_exceeded(run_bot: RunBot, llm: ModelServer) -> None:
    llm.context_length = 400  # the endpoint believes in more than the server gives
    finished, _ = await run_bot(shop_bot(), models=openai_models(llm))
    assert "did not fit gpt-test's context: This model's maximum context length is 400" in str(
        finished.error
    )


async def test_a_long_page_goes_in_chunks_and_the_rows_are_merged(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    expected = listing(site.base_url)
    # each chunk holds some of the products; the one on both sides of a cut comes back twice
    llm.answer("part 1 of", {"rows": expected[:6]})
    llm.answer("part 2 of", {"rows": expected[5:]})
    llm.answer("part 3 of", {"rows": []})
    finished, sink = await run_bot(shop_bot(), models=openai_models(llm, context_tokens=1700))
    assert finished.status == "succeeded", finished.error
    chats = llm.chats()
    assert len(chats) >= 2
    assert all(len(c["messages"][1]["content"]) < 1700 * 3.5 for c in chats)
    assert sink.rows == expected


async def test_hybrid_selectors_read_their_fields_and_the_model_the_rest(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    product = PRODUCTS[0]
    llm.answer("SKU", {"summary": "A kettle"})
    fields = [
        {"name": "name", "selector": "h1"},
        {"name": "summary", "description": "One short sentence"},
    ]
    document = bot(
        node("open", "navigate", url="{{site}}/product/p001"),
        node("ai", "llm_extract", mode="single", fields=fields),
        renderer="http",
    )
    finished, sink = await run_bot(document, models=openai_models(llm))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [{"name": product.name, "summary": "A kettle"}]
    properties = llm.chats()[0]["tools"][0]["function"]["parameters"]["properties"]
    assert list(properties) == ["summary"]


async def test_the_token_budget_stops_further_calls(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    expected = listing(site.base_url)
    llm.answer("Copper Kettle", {"rows": expected})
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("ai", "llm_extract", fields=FIELDS),
        node("again", "llm_extract", fields=FIELDS),
        renderer="http",
    )
    models = openai_models(llm)
    models = Models(models.endpoints, models.default, token_budget=10)
    finished, sink = await run_bot(document, models=models)
    assert finished.status == "failed"
    assert "node 'again'" in str(finished.error)
    assert "monthly LLM token limit is reached" in str(finished.error)
    assert sink.rows == expected
    assert len(llm.chats()) == 1


async def test_an_accounts_endpoint_is_reached_only_where_the_policy_allows(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    expected = listing(site.base_url)
    llm.answer("Copper Kettle", {"rows": expected})
    refused = openai_models(llm, policy=NetworkPolicy())  # loopback is private: refused
    finished, _ = await run_bot(shop_bot(), models=refused)
    assert finished.status == "failed"
    assert f"the network policy refused the model endpoint {llm.url}/v1" in str(finished.error)
    assert not llm.requests
    allowed = NetworkPolicy(allow=["127.0.0.1"])
    for endpoint in (
        Endpoint("ollama", llm.url, "llama3.2", policy=allowed),
        Endpoint("openai", llm.url + "/v1", "llama3.2", policy=allowed),
    ):
        finished, sink = await run_bot(shop_bot(), models=Models({"own": endpoint}, "own"))
        assert finished.status == "succeeded", finished.error
        assert sink.rows == expected


async def test_items_numbered_for_the_model_and_their_selector_fields_read_inside_each(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    # the model describes items 2 and 1 (in its own order) and skips the rest
    llm.answer(
        "## Item 2",
        {
            "rows": [
                {"name": "Copper Planter", "item_number": 2},
                {"name": "Copper Kettle", "item_number": 1},
            ]
        },
    )
    fields = [
        {"name": "name", "required": True},
        {"name": "url", "type": "url", "selector": "a.title", "value": "attr:href"},
        {"name": "price", "type": "number", "selector": ".price"},
    ]
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("ai", "llm_extract", fields=fields, item_selector="li.product"),
        renderer="http",
    )
    finished, sink = await run_bot(document, models=openai_models(llm))
    assert finished.status == "succeeded", finished.error
    assert sink.rows == [
        {"name": "Copper Planter", "url": f"{site.base_url}/product/p002", "price": 42.25},
        {"name": "Copper Kettle", "url": f"{site.base_url}/product/p001", "price": 5.0},
    ]
    [chat] = llm.chats()
    page = chat["messages"][1]["content"]
    assert "## Item 10\n\n" in page
    assert "## Item 11" not in page
    row = chat["tools"][0]["function"]["parameters"]["$defs"]["ItemRow"]
    assert set(row["properties"]) == {"name", "item_number"}
    assert row["properties"]["item_number"]["maximum"] == 10


async def test_steps_asking_at_once_each_count_their_own_calls(
    run_bot: RunBot, llm: ModelServer
) -> None:
    for product in PRODUCTS[:10]:
        llm.answer(product.sku, {"name": product.name})
    document = bot(
        node("open", "navigate", url="{{site}}/shop"),
        node("each", "for_each", selector="li.product", link="a.title"),
        node("ai", "llm_extract", mode="single", fields=[{"name": "name", "required": True}]),
        edges=[("open", "each"), ("each", "ai", "body")],
        renderer="http",
        concurrency=4,
    )
    finished, sink = await run_bot(document, models=openai_models(llm))
    assert finished.status == "succeeded", finished.error
    assert sorted(row["name"] for row in sink.rows) == sorted(p.name for p in PRODUCTS[:10])
    steps = [s for s in sink.steps if s.node_id == "ai"]
    assert len(steps) == 10
    assert all(s.llm is not None and s.llm.calls == 1 for s in steps)
    assert finished.llm_tokens == sum(s.llm.tokens_in + s.llm.tokens_out for s in steps if s.llm)


async def test_a_long_page_in_many_chunks_loses_no_item_and_repeats_none(
    run_bot: RunBot, llm: ModelServer, site: Any
) -> None:
    def reader(page: str) -> dict[str, Any]:  # what a model would read off its chunk
        found = re.findall(r"\[Item (\d+)\]\((\S+)\)", page)
        return {"rows": [{"name": f"Item {n}", "url": url} for n, url in found]}

    llm.answer("lab/item", reader)
    fields = [{"name": "name", "required": True}, {"name": "url", "type": "url"}]
    document = bot(
        node("open", "navigate", url="{{site}}/lab/big?n=1000"),
        node("ai", "llm_extract", fields=fields),
        renderer="http",
    )
    finished, sink = await run_bot(document, models=openai_models(llm, context_tokens=4096))
    assert finished.status == "succeeded", finished.error
    chats = llm.chats()
    assert len(chats) >= 4
    assert all(f"of {len(chats)})" in chat["messages"][1]["content"] for chat in chats)
    assert sink.rows == [
        {"name": f"Item {i}", "url": f"{site.base_url}/lab/item/{i}"} for i in range(1, 1001)
    ]
