"""A bot with an llm_extract node through the API and a worker process configured with
`TRAWLER_LLM__*`: rows, the step's model calls, the month's tokens, the plan's token limit."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from tests.api.conftest import ApiUser, error_of, start_api, start_run, wait_finished
from tests.engine.conftest import bot, node
from tests.site.llm import ModelServer
from tests.worker.conftest import Processes
from trawler.demo_site import PRODUCTS, DemoSite

FIELDS = [{"name": "name", "required": True}, {"name": "price", "type": "number"}]


async def test_model_rows_steps_usage_and_the_token_limit(
    processes: Processes, llm: ModelServer, site: DemoSite
) -> None:
    expected = [{"name": p.name, "price": float(p.price)} for p in PRODUCTS[:10]]
    llm.answer("Copper Kettle", {"rows": expected})
    plans = json.dumps({"free": {"llm_tokens_per_month": 500, "requests_per_minute": 600}})
    env = {"TRAWLER_LLM__OLLAMA_URL": llm.url, "TRAWLER_API__PLANS": plans}
    processes.start("worker", **env)
    api_url = start_api(processes, TRAWLER_API__SECURE_COOKIES="false", **env)
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1", timeout=30) as client:
        credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": "s3cret-pass"}
        assert (await client.post("/auth/register", json=credentials)).status_code == 201
        token = (await client.post("/auth/login", json=credentials)).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"

        document = bot(
            node("open", "navigate", url=f"{site.base_url}/shop"),
            node("ai", "llm_extract", fields=FIELDS),
            renderer="http",
        )
        execution_id = await start_run(client, "ai", document)
        finished = await wait_finished(client, execution_id)
        assert finished["status"] == "succeeded", finished["error"]
        result = await client.get(f"/executions/{execution_id}/result", params={"format": "json"})
        assert result.json() == expected
        [step] = [s for s in finished["steps"] if s["node_id"] == "ai"]
        assert step["llm"]["model"] == "llama3.2"
        assert step["llm"]["calls"] == 1
        spent = step["llm"]["tokens_in"] + step["llm"]["tokens_out"]
        usage = (await client.get("/users/me/usage")).json()
        assert usage["llm_tokens"] == spent > 500
        assert usage["limits"]["llm_tokens_per_month"] == 500

        # the month's tokens are spent: a bot that asks a model is refused, others are not
        bots = (await client.get("/bots")).json()
        answer = await client.post(f"/bots/{bots['items'][0]['id']}/execute")
        assert answer.status_code == 402
        error = error_of(answer)
        assert error["code"] == "quota_exceeded"
        assert error["details"]["limit"] == "llm_tokens_per_month"
        plain = bot(node("open", "navigate", url=f"{site.base_url}/shop"))
        assert (await wait_finished(client, await start_run(client, "plain", plain)))[
            "status"
        ] == "succeeded"


async def test_an_accounts_own_endpoint_its_key_kept_secret(
    processes: Processes, llm: ModelServer, site: DemoSite, new_user: ApiUser
) -> None:
    expected = [{"name": p.name, "price": float(p.price)} for p in PRODUCTS[:10]]
    llm.answer("Copper Kettle", {"rows": expected}, model="gpt-test")
    llm.api_key = "sk-own-key"
    processes.start("worker")  # the deployment has no endpoint configured
    owner, other = await new_user(), await new_user()
    endpoint = {
        "name": "mine",
        "kind": "openai",
        "base_url": f"{llm.url}/v1",
        "model": "gpt-test",
        "api_key": "sk-own-key",
    }
    added = await owner.post("/model-endpoints", json=endpoint)
    assert added.status_code == 201, added.text
    shown = added.json()
    assert shown["has_api_key"] is True
    assert "sk-own-key" not in added.text
    assert (await owner.post("/model-endpoints", json=endpoint)).status_code == 409
    bad = await owner.post("/model-endpoints", json={**endpoint, "base_url": "file:///etc"})
    assert bad.status_code == 422
    assert "base_url" in bad.text
    assert (await other.get("/model-endpoints")).json() == []
    assert (await other.delete(f"/model-endpoints/{shown['id']}")).status_code == 404

    document = bot(
        node("open", "navigate", url=f"{site.base_url}/shop"),
        node("ai", "llm_extract", fields=FIELDS, provider="mine"),
        renderer="http",
    )
    finished = await wait_finished(owner, await start_run(owner, "own", document))
    assert finished["status"] == "succeeded", finished["error"]
    assert llm.chats()[0]["headers"]["Authorization"] == "Bearer sk-own-key"
    # another account has no endpoint by that name; the error names what there is
    failed = await wait_finished(other, await start_run(other, "theirs", document))
    assert failed["status"] == "failed"
    assert "no model endpoint named 'mine'; configured: ollama" in failed["error"]
    assert (await owner.delete(f"/model-endpoints/{shown['id']}")).status_code == 204
    assert (await owner.get("/model-endpoints")).json() == []


async def test_selectors_from_a_schema_for_the_builder(
    processes: Processes, llm: ModelServer, site: DemoSite, new_user: ApiUser
) -> None:
    answer = {
        "item_selector": "li.product",
        "fields": [
            {"name": "name", "selector": "a.title"},
            {"name": "price", "selector": ".price"},
        ],
    }
    llm.answer("Fields wanted", answer)
    processes.start("worker", TRAWLER_LLM__OLLAMA_URL=llm.url)
    client = await new_user()
    asked = await client.post(
        "/selectors/from-schema",
        json={"url": f"{site.base_url}/shop", "fields": FIELDS, "mode": "list"},
    )
    assert asked.status_code == 200, asked.text
    found = asked.json()
    assert found["items"] == 10
    assert found["extract"] == {
        "mode": "list",
        "item_selector": "li.product",
        "fields": [
            {"name": "name", "selector": "a.title", "value": "text"},
            {"name": "price", "selector": ".price", "value": "text", "transforms": ["number"]},
        ],
    }
    assert found["fields"][1]["samples"] == [float(p.price) for p in PRODUCTS[:3]]
    usage = (await client.get("/users/me/usage")).json()
    assert usage["llm_tokens"] == found["tokens_in"] + found["tokens_out"] > 0
    refused = await client.post(
        "/selectors/from-schema",
        json={"url": f"{site.base_url}/shop", "fields": [{"name": "x", "type": "object"}]},
    )
    assert refused.status_code == 422
    assert "is an object, so needs fields" in refused.text


async def test_requests_waiting_on_workers_hold_no_database_connection(
    new_user: ApiUser, site: DemoSite
) -> None:
    # more waiting requests than the API's pool has connections (5 + 10); no worker runs
    client = await new_user()
    body = {"url": f"{site.base_url}/shop", "fields": FIELDS}
    waiting = [
        asyncio.create_task(client.post("/selectors/from-schema", json=body)) for _ in range(18)
    ]
    try:
        await asyncio.sleep(2)
        assert not any(task.done() for task in waiting)
        listed = await client.get("/bots")
        assert listed.status_code == 200, listed.text
    finally:
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
