"""A user's bots: list, create, import, read, update (a new version), delete, versions, execute."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import not_found
from api.progress import follow
from api.quota import check_execution
from api.schemas import (
    EXAMPLE_WORKFLOW,
    BotDetail,
    BotImport,
    BotIn,
    BotOut,
    BotSummary,
    BotUpdate,
    ExecutionStarted,
    Page,
    StepOut,
    TestRun,
    VersionOut,
    errors,
)
from engine import asks_model, load_workflow, parse_json
from store import FINISHED
from worker.dispatch import send, wants_priority

router = APIRouter(prefix="/bots", tags=["bots"])
log = logging.getLogger(__name__)


def _validated(workflow: dict[str, Any]) -> dict[str, Any]:
    """The document as given, once the engine accepts it (422 with every issue otherwise)."""
    load_workflow(workflow)
    return workflow


async def _bot(db: store.Session, user: store.User, bot_id: uuid.UUID) -> store.Bot:
    bot = await store.own_bot(db, user.id, bot_id)
    if bot is None:
        raise not_found("bot")
    return bot


async def _detail(db: store.Session, bot: store.Bot) -> BotDetail:
    version = await store.current_version(db, bot)
    return BotDetail.model_validate(
        {**BotOut.model_validate(bot).model_dump(), "workflow": version.workflow}
    )


@router.get("")
async def list_bots(
    user: CurrentUser,
    db: SessionDep,
    search: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[BotSummary]:
    """The user's bots, newest first, each with its last execution; `search` matches name or
    description."""
    bots, total = await store.list_bots(
        db, user.id, search=search, offset=(page - 1) * per_page, limit=per_page
    )
    lasts = await store.last_executions(db, user.id, (bot.id for bot in bots))
    return Page[BotSummary](
        items=[
            BotSummary.model_validate(
                {**BotOut.model_validate(bot).model_dump(), "last_execution": lasts.get(bot.id)}
            )
            for bot in bots
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


@router.post("", status_code=201)
async def create_bot(body: BotIn, user: CurrentUser, db: SessionDep) -> BotDetail:
    """Save a new bot; an invalid workflow gets 422 naming each node and field."""
    bot, _ = await store.create_bot(
        db, user.id, body.name, body.description, _validated(body.workflow)
    )
    await db.commit()
    return await _detail(db, bot)


def _in_body(exc: ValidationError, drop: int = 0) -> RequestValidationError:
    """A validation error of the import request, located in the body as FastAPI's are."""
    return RequestValidationError(
        [{**error, "loc": ("body", *error["loc"][drop:])} for error in exc.errors()]
    )


def _import_request(body: Any) -> tuple[Any, str | None, str | None]:
    """(document, name, description) from the request in either shape: `{"bot": document,
    "name"?, "description"?}` (a builder's export) or the document itself (a bot file)."""
    wrapped = isinstance(body, dict) and "bot" in body and "nodes" not in body
    try:
        request = BotImport.model_validate(body if wrapped else {"bot": body})
    except ValidationError as exc:
        if not wrapped and not isinstance(body, dict):
            return body, None, None  # not an object: the engine says so, as for a file
        raise _in_body(exc, drop=0 if wrapped else 1) from None
    return request.bot, request.name, request.description


IMPORT_BODY: dict[str, Any] = {
    "description": 'A bot document, as `trawler validate` takes it, or `{"bot": document, '
    '"name", "description"}` to name the new bot otherwise than its document does.',
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"type": "object", "title": "Bot", "description": "The bot document."},
                    BotImport.model_json_schema(),
                ]
            },
            "examples": {
                "document": {"summary": "The bot file itself", "value": EXAMPLE_WORKFLOW},
                "wrapped": {
                    "summary": "The document with another name",
                    "value": {"bot": EXAMPLE_WORKFLOW, "name": "shop catalog (imported)"},
                },
            },
        }
    },
}


@router.post("/import", status_code=201, openapi_extra={"requestBody": IMPORT_BODY})
async def import_bot(request: Request, user: CurrentUser, db: SessionDep) -> BotDetail:
    """Save a bot document as a new bot, named and described as in the document unless given.

    The body is the document itself, or `{"bot": document, "name", "description"}`. An invalid
    document gets 422 naming each node and field, and nothing is saved.
    """
    document, name, description = _import_request(parse_json(await request.body(), "the body"))
    workflow = load_workflow(document)
    if description is None:
        description = workflow.description
    bot, _ = await store.create_bot(db, user.id, name or workflow.name, description or "", document)
    await db.commit()
    return await _detail(db, bot)


@router.get("/{bot_id}")
async def get_bot(bot_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> BotDetail:
    return await _detail(db, await _bot(db, user, bot_id))


@router.put("/{bot_id}")
async def update_bot(
    bot_id: uuid.UUID, body: BotUpdate, user: CurrentUser, db: SessionDep
) -> BotDetail:
    """Rename, describe, or save a new workflow version."""
    bot = await _bot(db, user, bot_id)
    if body.name is not None:
        bot.name = body.name
    if body.description is not None:
        bot.description = body.description
    if body.workflow is not None:
        await store.add_version(db, bot, _validated(body.workflow))
    await db.commit()
    return await _detail(db, bot)


@router.delete("/{bot_id}", status_code=204)
async def delete_bot(bot_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> None:
    """Delete the bot and stop its schedules; its past executions stay readable."""
    await store.delete_bot(db, await _bot(db, user, bot_id))
    await db.commit()


@router.get("/{bot_id}/versions")
async def bot_versions(bot_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> list[VersionOut]:
    versions = await store.versions(db, await _bot(db, user, bot_id))
    return [VersionOut.model_validate(version) for version in versions]


async def _queue(
    db: store.Session, ctx: ContextDep, user: store.User, bot: store.Bot, trigger: store.Trigger
) -> store.Execution:
    """Create the execution, commit, then enqueue (a worker must find it committed)."""
    version = await store.current_version(db, bot)
    await check_execution(db, ctx, user, llm=asks_model(version.workflow))
    execution = await store.create_execution(db, version, user.id, trigger, now=ctx.now())
    await db.commit()
    await send(ctx.broker, execution.id, priority=wants_priority(trigger, user.plan))
    return execution


@router.post("/{bot_id}/test", responses={202: {"model": TestRun}, **errors(402)})
async def start_test_run(
    bot_id: uuid.UUID,
    user: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    response: Response,
    wait: Annotated[
        bool, Query(description="false: answer 202 at once, and follow the events instead.")
    ] = True,
) -> TestRun:
    """A short dry run on the priority queue (a few pages, a screenshot per step).

    Waits for it up to `TRAWLER_API__TEST_WAIT` and returns its rows, steps and error; if it
    takes longer, answers 202 with the execution id to follow.
    """
    bot = await _bot(db, user, bot_id)
    execution = await _queue(db, ctx, user, bot, store.Trigger.TEST)
    if not wait:
        response.status_code = 202
        return TestRun(execution_id=execution.id, status=execution.status, finished=False)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(ctx.settings.test_wait.total_seconds()):
            async for _ in follow(ctx, execution.id, keepalive=60):
                pass  # to the end: the finished event
    await db.refresh(execution)
    if execution.status not in FINISHED:
        response.status_code = 202
        return TestRun(execution_id=execution.id, status=execution.status, finished=False)
    rows = [row async for row in store.stream_rows(db, execution.id)]
    steps = await store.steps_of(db, execution.id)
    return TestRun(
        execution_id=execution.id,
        status=execution.status,
        finished=True,
        rows=rows,
        steps=[StepOut.model_validate(step) for step in steps],
        error=execution.error,
    )


@router.post("/{bot_id}/execute", status_code=202, responses=errors(402))
async def execute_bot(
    bot_id: uuid.UUID, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> ExecutionStarted:
    """Queue a run of the bot's current version; returns at once with the execution id."""
    bot = await _bot(db, user, bot_id)
    execution = await _queue(db, ctx, user, bot, store.Trigger.API)
    return ExecutionStarted(execution_id=execution.id, status=execution.status)
