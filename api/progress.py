"""Following an execution's progress: its Redis channel, from a consistent start."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import store
from api.deps import Context
from worker.dispatch import progress_channel

DONE = {s.value for s in store.FINISHED}


def _snapshot(execution: store.Execution) -> dict[str, Any]:
    return {
        "type": "finished" if execution.status in DONE else "state",
        "status": execution.status,
        "rows": execution.rows,
        "pages": execution.pages,
        "error": execution.error,
    }


async def follow(
    ctx: Context, execution_id: uuid.UUID, *, keepalive: float
) -> AsyncGenerator[dict[str, Any] | None, None]:
    """The state now, then every published event until the finish; None after each quiet
    `keepalive` seconds. Subscribes *before* reading the state, so no event falls between."""
    pubsub = ctx.redis.pubsub()
    await pubsub.subscribe(progress_channel(execution_id))
    try:
        async with ctx.db.session() as session:
            execution = await session.get_one(store.Execution, execution_id)
        snapshot = _snapshot(execution)
        yield snapshot
        if snapshot["type"] == "finished":
            return
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=keepalive)
            if message is None:
                yield None
                continue
            event = json.loads(message["data"])
            yield event
            if event.get("type") == "finished":
                return
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
