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
    NothingAtPoint,
    Point,
    Probe,
    SchemaField,
    SchemaSelectors,
    pick,
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
    """Probe and reply `{"probe": ...}` (for a schema, `{"schema_selectors": ...}`; for
    points, `{"pick": ...}`) or `{"error": ...}` (with `"point"`, the index of a point where
    nothing can be picked); never raises for a bad page."""
    try:
        reply = await _answer(rt, request, timedelta(seconds=float(request.get("within_s", 30))))
    except NothingAtPoint as exc:
        reply = {"error": str(exc), "point": exc.point}
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


async def _answer(rt: Runtime, request: dict[str, Any], within: timedelta) -> dict[str, Any]:
    network = Network.of(rt.egress)
    if "points" in request:
        picked = await pick(
            rt.pool,
            [Point.model_validate(point) for point in request["points"]],
            url=request.get("url"),
            html=request.get("html"),
            item_selector=request.get("within"),
            within=within,
            network=network,
        )
        return {"pick": picked.model_dump(mode="json")}
    schema = request.get("schema")
    found = await probe(
        rt.pool,
        list(request.get("selectors") or []),
        url=request.get("url"),
        html=request.get("html"),
        screenshot=bool(request.get("screenshot", True)) and schema is None,
        want_html=bool(request.get("want_html", False)) or schema is not None,
        within=within,
        network=network,
    )
    if schema is not None:
        suggested = await _schema_selectors(rt, found, schema, within)
        return {"schema_selectors": suggested.model_dump(mode="json")}
    return {"probe": found.model_dump(mode="json")}


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
