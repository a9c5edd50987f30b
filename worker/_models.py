"""The language models a run of an account may ask: the deployment's endpoints, the account's
own, and what is left of its monthly token limit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import store
from engine import Endpoint, Models
from worker._runtime import Runtime


def limits_of(plan_limits: Mapping[str, Mapping[str, Any]], user: store.User) -> dict[str, Any]:
    """The user's plan limits, with the overrides stored on the user."""
    return {**plan_limits.get(user.plan, {}), **(user.limits or {})}


def account_models(rt: Runtime, user_id: uuid.UUID) -> Callable[[], Awaitable[Models]]:
    """The deployment's model endpoints and the account's own (checked by the network policy,
    since the account chose where they are), with what is left of the owner's monthly LLM
    token limit to spend."""

    async def read() -> Models:
        async with rt.db.transaction() as session:
            own = await store.model_endpoints(session, rt.secrets, user_id)
            user = await session.get(store.User, user_id)
            limit = limits_of(rt.plan_limits, user).get("llm_tokens_per_month") if user else None
            usage = await store.usage_of(session, user_id, rt.clock().strftime("%Y-%m"))
        endpoints = dict(rt.models.endpoints)
        for record in own:
            endpoints[record.name] = Endpoint(
                "ollama" if record.kind == "ollama" else "openai",
                record.base_url,
                record.model,
                api_key=record.api_key,
                context_tokens=record.context_tokens,
                mode="json" if record.mode == "json" else "tools" if record.mode else None,
                policy=rt.egress.policy,
            )
        budget = None if limit is None else max(0, int(limit) - usage.llm_tokens)
        default = rt.models.default or next(iter(endpoints), None)
        return Models(endpoints, default, token_budget=budget)

    return read
