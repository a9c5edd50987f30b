"""Selector probes: a builder's question answered on the worker's browsers, the answer pushed
onto a Redis list the API waits on."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from engine import EngineError, Network, probe
from worker._runtime import Runtime
from worker.dispatch import probe_reply_key

log = logging.getLogger(__name__)

REPLY_TTL = timedelta(minutes=2)
"""How long an answer waits for the API; one nobody took is dropped with its key."""


async def answer_probe(rt: Runtime, probe_id: str, request: dict[str, Any]) -> None:
    """Probe and reply `{"probe": ...}` or `{"error": ...}`; never raises for a bad page."""
    try:
        found = await probe(
            rt.pool,
            list(request.get("selectors") or []),
            url=request.get("url"),
            html=request.get("html"),
            screenshot=bool(request.get("screenshot", True)),
            want_html=bool(request.get("want_html", False)),
            within=timedelta(seconds=float(request.get("within_s", 30))),
            network=Network.of(rt.egress),
        )
        reply: dict[str, Any] = {"probe": found.model_dump(mode="json")}
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
