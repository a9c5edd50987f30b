"""A bot that asks a language model, run by the worker: each step's model calls stored, the
tokens counted in the owner's monthly usage, and the plan's token limit kept."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

import store
from engine import Endpoint, Models
from tests.site.llm import ModelServer
from tests.worker.conftest import load, now, rows_of, seed
from trawler.demo_site import PRODUCTS, DemoSite
from worker import Runtime, execute

FIELDS = [{"name": "name", "required": True}, {"name": "price", "type": "number"}]


def _bot(site: DemoSite) -> dict[str, Any]:
    return {
        "name": "ai",
        "settings": {"renderer": "http"},
        "nodes": [
            {"id": "open", "type": "navigate", "data": {"url": f"{site.base_url}/shop"}},
            {"id": "ai", "type": "llm_extract", "data": {"fields": FIELDS}},
        ],
        "edges": [{"source": "open", "target": "ai"}],
    }


def _with_models(rt: Runtime, server: ModelServer, limit: int | None) -> Runtime:
    endpoint = Endpoint("ollama", server.url, "llama3.2")
    return dataclasses.replace(
        rt,
        models=Models({"ollama": endpoint}, "ollama"),
        plan_limits={"free": {"llm_tokens_per_month": limit}},
    )


async def test_model_calls_are_stored_on_the_step_and_counted_in_usage(
    runtime: Runtime, site: DemoSite, llm: ModelServer
) -> None:
    expected = [{"name": p.name, "price": float(p.price)} for p in PRODUCTS[:10]]
    llm.answer("Copper Kettle", {"rows": expected})
    rt = _with_models(runtime, llm, limit=None)
    _, execution_id = await seed(rt.db, _bot(site))

    await execute(rt, execution_id)

    execution = await load(rt.db, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert await rows_of(rt.db, execution_id) == expected
    async with rt.db.transaction() as session:
        step = await session.scalar(
            select(store.ExecutionStep).filter_by(execution_id=execution_id, node_id="ai")
        )
        usage = await store.usage_of(session, execution.user_id, now().strftime("%Y-%m"))
    assert step is not None
    assert step.llm is not None
    assert step.llm["model"] == "llama3.2"
    assert step.llm["calls"] == 1
    assert step.llm["latency_ms"] > 0
    spent = step.llm["tokens_in"] + step.llm["tokens_out"]
    assert spent > 100
    assert usage.llm_tokens == spent


async def test_a_spent_token_limit_fails_the_step_and_says_so(
    runtime: Runtime, site: DemoSite, llm: ModelServer
) -> None:
    rt = _with_models(runtime, llm, limit=1000)
    _, execution_id = await seed(rt.db, _bot(site))
    execution = await load(rt.db, execution_id)
    async with rt.db.transaction() as session:
        await store.add_usage(session, execution.user_id, now=now(), llm_tokens=1000)

    await execute(rt, execution_id)

    execution = await load(rt.db, execution_id)
    assert execution.status == store.ExecutionStatus.FAILED
    assert "node 'ai'" in str(execution.error)
    assert "monthly LLM token limit is reached" in str(execution.error)
    assert not llm.chats()
