"""Live progress of an execution: Server-Sent Events, and the same over a WebSocket.

Both follow `api.progress.follow`, and end after the `finished` event.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

import store
from api.deps import Context, ContextDep, CurrentUser, SessionDep, token_user
from api.errors import REDIS_ERRORS, Unavailable
from api.progress import follow
from api.routes.executions import owned_execution

router = APIRouter(prefix="/executions", tags=["executions"])

KEEPALIVE = 15.0  # seconds between comments on a quiet stream (proxies close idle ones)
TRY_AGAIN_LATER = 1013  # the WebSocket close code for a server that cannot serve just now


@router.get(
    "/{execution_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def execution_events(
    execution_id: uuid.UUID, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> StreamingResponse:
    """Server-Sent Events: `state`, then `step_started`, `step_finished`, `log`, `progress`,
    and last `finished`."""
    await owned_execution(db, user, execution_id)
    return await event_stream(db, ctx, execution_id)


async def event_stream(
    session: store.Session, ctx: Context, execution_id: uuid.UUID
) -> StreamingResponse:
    """An execution's progress as Server-Sent Events (its owner already checked). A stream
    may last for hours: the request's `session` goes back to the pool first."""
    await session.close()
    events = follow(ctx, execution_id, keepalive=KEEPALIVE)
    first = await anext(events)  # subscribed: without Redis, a 503 rather than a broken 200
    assert first is not None  # the execution's state comes first, never a keep-alive

    async def stream() -> AsyncIterator[str]:
        yield f"event: {first['type']}\ndata: {json.dumps(first)}\n\n"
        try:
            async for event in events:
                if event is None:
                    yield ": keep-alive\n\n"
                else:
                    yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        except REDIS_ERRORS:  # lost on the way: say so, and when to connect again
            gone = {"type": "unavailable", "service": "redis"}
            retry_ms = Unavailable.RETRY_AFTER * 1000
            yield f"retry: {retry_ms}\nevent: unavailable\ndata: {json.dumps(gone)}\n\n"
        finally:
            await events.aclose()  # unsubscribed now, not when collected

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.websocket("/{execution_id}/ws")
async def execution_socket(
    websocket: WebSocket,
    execution_id: uuid.UUID,
    token: Annotated[str, Query(description="An access token (browsers cannot set headers).")],
) -> None:
    """The same events as JSON messages; a bad token or another user's id is refused (403)
    at the handshake."""
    ctx: Context = websocket.app.state.context
    async with ctx.db.session() as session:
        user = await token_user(ctx, session, token)
        owned = user and await store.own_execution(session, user.id, execution_id)
    if not owned:
        await websocket.close(code=1008, reason="not found")
        return
    await websocket.accept()
    try:
        async for event in follow(ctx, execution_id, keepalive=KEEPALIVE):
            if event is not None:
                await websocket.send_json(event)
        await websocket.close()
    except REDIS_ERRORS:
        await websocket.close(code=TRY_AGAIN_LATER, reason="Redis is unavailable")
    except (WebSocketDisconnect, asyncio.CancelledError):
        pass
