"""Selector probes: a builder's question answered on the worker's browsers, the answer pushed
onto a Redis list the API waits on."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any

import store
from engine import (
    EngineError,
    Llm,
    Network,
    Probe,
    SchemaField,
    SchemaSelectors,
    probe,
    suggest_selectors,
)
from worker._models import account_models
from worker._runtime import Runtime
from worker.dispatch import probe_reply_key

log = logging.getLogger(__name__)

REPLY_TTL = timedelta(minutes=2)
"""How long an answer waits for the API; one nobody took is dropped with its key."""


async def answer_probe(rt: Runtime, probe_id: str, request: dict[str, Any]) -> None:
    """Probe and reply `{"probe": ...}` (or, for a schema, `{"schema_selectors": ...}`) or
    `{"error": ...}`; never raises for a bad page."""
    schema = request.get("schema")
    try:
        within = timedelta(seconds=float(request.get("within_s", 30)))
        found = await probe(
            rt.pool,
            list(request.get("selectors") or []),
            url=request.get("url"),
            html=request.get("html"),
            screenshot=bool(request.get("screenshot", True)) and schema is None,
            want_html=bool(request.get("want_html", False)) or schema is not None,
            within=within,
            network=Network.of(rt.egress),
        )
        reply: dict[str, Any] = {"probe": found.model_dump(mode="json")}
        if schema is not None:
            suggested = await _schema_selectors(rt, found, schema, within)
            reply = {"schema_selectors": suggested.model_dump(mode="json")}
    except EngineError as exc:
        reply = {"error": str(exc)}
    except TimeoutError:
        reply = {"error": "the page did not answer in time"}
    except Exception as exc:
        log.exception("selector probe %s failed", probe_id)
        reply = {"error": f"the probe failed: {type(exc).__name__}"}
    key = probe_reply_key(probe_id)
    await rt.redis.rpush(key, json.dumps(reply))
    await rt.redis.expire(key, int(REPLY_TTL.total_seconds()))


async def _schema_selectors(
    rt: Runtime, found: Probe, schema: dict[str, Any], within: timedelta
) -> SchemaSelectors:
    """The model's selectors for the schema's fields on the probed page; its tokens count in
    the asking account's usage."""
    user_id = uuid.UUID(schema["user_id"])
    models = await account_models(rt, user_id)()
    llm = Llm(models, within.total_seconds())
    try:
        return await suggest_selectors(
            llm,
            found.html or "",
            found.url,
            [SchemaField.model_validate(field) for field in schema["fields"]],
            mode=schema.get("mode", "list"),
            provider=schema.get("provider"),
            model=schema.get("model"),
        )
    finally:
        await llm.aclose()
        if llm.spent:
            async with rt.db.transaction() as session:
                await store.add_usage(session, user_id, now=rt.clock(), llm_tokens=llm.spent)
