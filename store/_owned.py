"""A user's own bots and executions: every query is scoped to the owner, so another user's id
finds nothing (the API answers 404, never 403)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store._base import utcnow
from store._bots import Bot, BotVersion, Schedule
from store._enums import ExecutionStatus
from store._executions import Artifact, Execution, ExecutionLog, ExecutionStep, ResultRow


async def create_bot(
    session: AsyncSession,
    user_id: uuid.UUID,
    name: str,
    description: str,
    workflow: dict[str, Any],
) -> tuple[Bot, BotVersion]:
    """A bot with its first version."""
    bot = Bot(user_id=user_id, name=name, description=description, current_version=1)
    session.add(bot)
    await session.flush()
    version = BotVersion(bot_id=bot.id, version=1, workflow=workflow)
    session.add(version)
    await session.flush()
    return bot, version


async def own_bot(session: AsyncSession, user_id: uuid.UUID, bot_id: uuid.UUID) -> Bot | None:
    """The user's bot, unless deleted."""
    return await session.scalar(
        select(Bot).where(Bot.id == bot_id, Bot.user_id == user_id, Bot.deleted_at.is_(None))
    )


async def list_bots(
    session: AsyncSession, user_id: uuid.UUID, *, search: str | None, offset: int, limit: int
) -> tuple[list[Bot], int]:
    """A page of the user's bots, newest first, and how many match in all."""
    where = [Bot.user_id == user_id, Bot.deleted_at.is_(None)]
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(Bot.name.ilike(pattern, escape="\\"), Bot.description.ilike(pattern, escape="\\"))
        )
    total = await session.scalar(select(func.count()).select_from(Bot).where(*where))
    bots = await session.scalars(
        select(Bot)
        .where(*where)
        .order_by(Bot.created_at.desc(), Bot.id)
        .offset(offset)
        .limit(limit)
    )
    return list(bots), int(total or 0)


async def last_executions(
    session: AsyncSession, user_id: uuid.UUID, bot_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Execution]:
    """The newest execution of each of the user's bots among `bot_ids` that has run, by bot id;
    one query for them all."""
    ids = set(bot_ids)
    if not ids:
        return {}
    run = aliased(Execution)
    newest = (
        select(run.id)
        .where(run.bot_id == Bot.id)
        .order_by(run.created_at.desc(), run.id.desc())
        .limit(1)
        .correlate(Bot)
        .scalar_subquery()
    )
    found = await session.scalars(
        select(Execution).where(
            Execution.id.in_(select(newest).where(Bot.user_id == user_id, Bot.id.in_(ids)))
        )
    )
    return {execution.bot_id: execution for execution in found}


async def bot_names(
    session: AsyncSession, user_id: uuid.UUID, bot_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of the user's bots among `bot_ids`, deleted ones too (their runs remain)."""
    ids = set(bot_ids)
    if not ids:
        return {}
    found = await session.execute(
        select(Bot.id, Bot.name).where(Bot.user_id == user_id, Bot.id.in_(ids))
    )
    return dict(found.all())


async def current_version(session: AsyncSession, bot: Bot) -> BotVersion:
    version = await session.scalar(
        select(BotVersion).where(
            BotVersion.bot_id == bot.id, BotVersion.version == bot.current_version
        )
    )
    assert version is not None, f"bot {bot.id} has no version {bot.current_version}"
    return version


async def add_version(session: AsyncSession, bot: Bot, workflow: dict[str, Any]) -> BotVersion:
    """Save a new version and make it current; earlier ones stay, as executions ran them."""
    latest = await session.scalar(
        select(func.max(BotVersion.version)).where(BotVersion.bot_id == bot.id)
    )
    version = BotVersion(bot_id=bot.id, version=(latest or 0) + 1, workflow=workflow)
    session.add(version)
    await session.flush()
    bot.current_version = version.version
    bot.updated_at = utcnow()
    return version


async def versions(session: AsyncSession, bot: Bot) -> list[BotVersion]:
    found = await session.scalars(
        select(BotVersion).where(BotVersion.bot_id == bot.id).order_by(BotVersion.version.desc())
    )
    return list(found)


async def delete_bot(session: AsyncSession, bot: Bot) -> None:
    """Hide the bot and stop its schedules; its executions stay readable."""
    bot.deleted_at = utcnow()
    await session.execute(update(Schedule).where(Schedule.bot_id == bot.id).values(active=False))


async def own_execution(
    session: AsyncSession, user_id: uuid.UUID, execution_id: uuid.UUID
) -> Execution | None:
    return await session.scalar(
        select(Execution).where(Execution.id == execution_id, Execution.user_id == user_id)
    )


async def steps_of(session: AsyncSession, execution_id: uuid.UUID) -> list[ExecutionStep]:
    found = await session.scalars(
        select(ExecutionStep)
        .where(ExecutionStep.execution_id == execution_id)
        .order_by(ExecutionStep.step)
    )
    return list(found)


async def first_rows(
    session: AsyncSession, execution_id: uuid.UUID, *, limit: int
) -> list[ResultRow]:
    """The first `limit` rows in order, with their step and node."""
    found = await session.scalars(
        select(ResultRow)
        .where(ResultRow.execution_id == execution_id)
        .order_by(ResultRow.seq)
        .limit(limit)
    )
    return list(found)


async def artifacts_of(session: AsyncSession, execution_id: uuid.UUID) -> list[Artifact]:
    """The execution's artifacts, by step."""
    found = await session.scalars(
        select(Artifact)
        .where(Artifact.execution_id == execution_id)
        .order_by(Artifact.step, Artifact.kind)
    )
    return list(found)


async def artifact_of(
    session: AsyncSession, execution_id: uuid.UUID, artifact_id: uuid.UUID
) -> Artifact | None:
    """One artifact of the execution (an id of another execution finds nothing)."""
    return await session.scalar(
        select(Artifact).where(Artifact.execution_id == execution_id, Artifact.id == artifact_id)
    )


async def running_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    """The user's executions queued or running now (for the concurrency quota)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Execution)
            .where(
                Execution.user_id == user_id,
                Execution.status.in_((ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)),
            )
        )
        or 0
    )


async def stream_rows(
    session: AsyncSession, execution_id: uuid.UUID, *, batch: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """The rows in order, fetched `batch` at a time by keyset (never all in memory)."""
    async for found in _row_batches(session, execution_id, ResultRow.data, batch):
        for data in found:
            yield data


async def stream_row_json(
    session: AsyncSession, execution_id: uuid.UUID, *, batch: int = 1000
) -> AsyncIterator[list[str]]:
    """The rows in order as JSON text, a batch at a time: a download passes them on as the
    database wrote them, without decoding and encoding each row again."""
    async for found in _row_batches(session, execution_id, cast(ResultRow.data, Text), batch):
        yield found


async def _row_batches(
    session: AsyncSession, execution_id: uuid.UUID, column: Any, batch: int
) -> AsyncIterator[list[Any]]:
    after = 0
    while True:
        found = (
            await session.execute(
                select(ResultRow.seq, column)
                .where(ResultRow.execution_id == execution_id, ResultRow.seq > after)
                .order_by(ResultRow.seq)
                .limit(batch)
            )
        ).all()
        if found:
            yield [value for _, value in found]
        if len(found) < batch:
            return
        after = found[-1][0]


async def own_schedule(
    session: AsyncSession, user_id: uuid.UUID, schedule_id: uuid.UUID
) -> Schedule | None:
    """The user's schedule (of a bot not deleted)."""
    return await session.scalar(
        select(Schedule)
        .join(Bot, Bot.id == Schedule.bot_id)
        .where(Schedule.id == schedule_id, Bot.user_id == user_id, Bot.deleted_at.is_(None))
    )


async def list_schedules(
    session: AsyncSession, user_id: uuid.UUID, *, bot_id: uuid.UUID | None = None
) -> list[Schedule]:
    query = (
        select(Schedule)
        .join(Bot, Bot.id == Schedule.bot_id)
        .where(Bot.user_id == user_id, Bot.deleted_at.is_(None))
        .order_by(Schedule.created_at)
    )
    if bot_id is not None:
        query = query.where(Schedule.bot_id == bot_id)
    return list(await session.scalars(query))


async def list_executions(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    bot_id: uuid.UUID | None,
    status: ExecutionStatus | None,
    since: datetime | None,
    until: datetime | None,
    offset: int,
    limit: int,
) -> tuple[list[Execution], int]:
    """A page of the user's executions, newest first, and how many match in all."""
    where = [Execution.user_id == user_id]
    if bot_id is not None:
        where.append(Execution.bot_id == bot_id)
    if status is not None:
        where.append(Execution.status == status)
    if since is not None:
        where.append(Execution.created_at >= since)
    if until is not None:
        where.append(Execution.created_at < until)
    total = await session.scalar(select(func.count()).select_from(Execution).where(*where))
    found = await session.scalars(
        select(Execution)
        .where(*where)
        .order_by(Execution.created_at.desc(), Execution.id)
        .offset(offset)
        .limit(limit)
    )
    return list(found), int(total or 0)


async def logs_of(
    session: AsyncSession, execution_id: uuid.UUID, *, after: int, limit: int
) -> list[ExecutionLog]:
    """Log lines in order, after the line id `after` (0 for the first page)."""
    found = await session.scalars(
        select(ExecutionLog)
        .where(ExecutionLog.execution_id == execution_id, ExecutionLog.id > after)
        .order_by(ExecutionLog.id)
        .limit(limit)
    )
    return list(found)


async def executions_of_user(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Every execution id of the user (to delete their artifacts with the account)."""
    return list(await session.scalars(select(Execution.id).where(Execution.user_id == user_id)))
