"""The scheduler's queries: due schedules, stale executions, usage, retention.

Selections that lead to writes lock their rows with `FOR UPDATE SKIP LOCKED`, so several
scheduler processes split the work instead of doing it twice (SQLite has one writer anyway).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from store._accounts import MonthlyUsage, User
from store._bots import Bot, BotVersion, Schedule
from store._enums import ExecutionStatus
from store._executions import Artifact, Execution, ResultRow
from store._runs import FINISHED


@dataclass(frozen=True, slots=True)
class DueSchedule:
    """A schedule to fire now, with what firing it needs; `version` is None if never saved."""

    schedule: Schedule
    bot: Bot
    owner: User
    version: BotVersion | None


async def due_schedules(session: AsyncSession, *, now: datetime, limit: int) -> list[DueSchedule]:
    """Active schedules whose `next_run_at` has come, locked for this transaction."""
    query = (
        select(Schedule, Bot, User, BotVersion)
        .join(Bot, Bot.id == Schedule.bot_id)
        .join(User, User.id == Bot.user_id)
        .outerjoin(
            BotVersion,
            and_(BotVersion.bot_id == Bot.id, BotVersion.version == Bot.current_version),
        )
        .where(Schedule.active, Schedule.next_run_at <= now)
        .order_by(Schedule.next_run_at)
        .limit(limit)
        .with_for_update(of=Schedule, skip_locked=True)
    )
    return [DueSchedule(*row) for row in await session.execute(query)]


async def usage_of(session: AsyncSession, user_id: uuid.UUID, month: str) -> MonthlyUsage:
    """The owner's counters for a month ('YYYY-MM'); zeros if nothing ran yet."""
    found = await session.get(MonthlyUsage, (user_id, month))
    return found or MonthlyUsage(
        user_id=user_id, month=month, executions=0, rows=0, pages=0, llm_tokens=0
    )


async def _stale(
    session: AsyncSession, status: ExecutionStatus, older: ColumnElement[bool], limit: int
) -> list[tuple[Execution, str]]:
    query = (
        select(Execution, User.plan)
        .join(User, User.id == Execution.user_id)
        .where(Execution.status == status, older)
        .order_by(Execution.created_at)
        .limit(limit)
        .with_for_update(of=Execution, skip_locked=True)
    )
    return [(execution, plan) for execution, plan in await session.execute(query)]


async def stale_running(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[tuple[Execution, str]]:
    """Running executions whose lease ran out (their worker died), with the owner's plan."""
    return await _stale(session, ExecutionStatus.RUNNING, Execution.lease_until < now, limit)


async def stale_queued(
    session: AsyncSession, *, older_than: datetime, limit: int
) -> list[tuple[Execution, str]]:
    """Queued executions nobody started since `older_than` (their message may be lost)."""
    return await _stale(session, ExecutionStatus.QUEUED, Execution.queued_at < older_than, limit)


async def expired(session: AsyncSession, *, before: datetime, limit: int) -> list[uuid.UUID]:
    """Executions finished before `before` that still hold rows or artifacts, locked."""
    has_data = or_(
        exists().where(ResultRow.execution_id == Execution.id),
        exists().where(Artifact.execution_id == Execution.id),
    )
    query = (
        select(Execution.id)
        .where(Execution.status.in_(FINISHED), Execution.finished_at < before, has_data)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def delete_results(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Delete the rows and artifact records of these executions; the executions, their steps
    and logs stay as history."""
    if ids:
        await session.execute(delete(ResultRow).where(ResultRow.execution_id.in_(ids)))
        await session.execute(delete(Artifact).where(Artifact.execution_id.in_(ids)))
