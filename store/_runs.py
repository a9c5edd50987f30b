"""The life of an execution in SQL: create, claim with a lease, heart-beat, write, finish.

Every function takes the session and the current time from its caller, so a worker, the
scheduler and the tests share one clock discipline and one transaction boundary (the caller's).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from store._accounts import MonthlyUsage
from store._bots import BotVersion
from store._enums import ExecutionStatus, Trigger
from store._executions import Artifact, Execution, ExecutionLog, ExecutionStep, ResultRow

FINISHED = (
    ExecutionStatus.SUCCEEDED,
    ExecutionStatus.FAILED,
    ExecutionStatus.CANCELLED,
    ExecutionStatus.TIMED_OUT,
)


def _upsert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite share the syntax)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True, slots=True)
class Claim:
    """A worker's hold on an execution; `attempt` fences every later write of that worker."""

    execution_id: uuid.UUID
    attempt: int
    user_id: uuid.UUID
    workflow: dict[str, Any]
    trigger: Trigger
    bot_id: uuid.UUID


def _owned(held: Claim) -> tuple[ColumnElement[bool], ...]:
    """The execution as long as this claim holds it (the fence on every write of a worker)."""
    return (
        Execution.id == held.execution_id,
        Execution.attempt == held.attempt,
        Execution.status == ExecutionStatus.RUNNING,
    )


async def create_execution(
    session: AsyncSession,
    version: BotVersion,
    user_id: uuid.UUID,
    trigger: Trigger,
    *,
    now: datetime,
) -> Execution:
    """A queued execution of one bot version (the caller commits, then enqueues)."""
    execution = Execution(
        bot_id=version.bot_id,
        bot_version_id=version.id,
        user_id=user_id,
        trigger=trigger,
        status=ExecutionStatus.QUEUED,
        queued_at=now,
    )
    session.add(execution)
    await session.flush()
    return execution


async def claim(
    session: AsyncSession, execution_id: uuid.UUID, *, now: datetime, lease: timedelta
) -> Claim | None:
    """Take a queued execution, or a running one whose lease ran out; None: someone has it.

    A duplicate delivery finds the execution running under a live lease (or finished) and gets
    None; a redelivery after a killed worker finds the lease expired and takes over. A later
    attempt starts from nothing: the earlier attempts' rows, steps and artifact records go.
    """
    claimed = (
        await session.execute(
            update(Execution)
            .where(
                Execution.id == execution_id,
                Execution.cancel_requested.is_(False),
                or_(
                    Execution.status == ExecutionStatus.QUEUED,
                    and_(
                        Execution.status == ExecutionStatus.RUNNING,
                        Execution.lease_until < now,
                    ),
                ),
            )
            .values(
                status=ExecutionStatus.RUNNING,
                attempt=Execution.attempt + 1,
                lease_until=now + lease,
                heartbeat_at=now,
                started_at=now,
                finished_at=None,
            )
            .returning(
                Execution.attempt,
                Execution.user_id,
                Execution.bot_version_id,
                Execution.trigger,
                Execution.bot_id,
            )
        )
    ).one_or_none()
    if claimed is None:
        return None
    attempt, user_id, version_id, trigger, bot_id = claimed
    if attempt > 1:
        # a fresh start: what an earlier attempt stored is produced again by this one, so the
        # result is exactly one attempt's, never a mix (its artifact files are the caller's)
        for model in (ResultRow, ExecutionStep, Artifact):
            await session.execute(delete(model).where(model.execution_id == execution_id))
    workflow = await session.scalar(select(BotVersion.workflow).where(BotVersion.id == version_id))
    assert workflow is not None  # the foreign key keeps the version while the execution exists
    return Claim(execution_id, attempt, user_id, workflow, trigger, bot_id)


async def holds(session: AsyncSession, held: Claim) -> bool:
    """Whether the claim still owns the execution; locks it until the transaction ends, so a
    write made in the same transaction cannot race a takeover."""
    owner = await session.scalar(
        select(Execution.id).where(*_owned(held)).with_for_update(read=True)
    )
    return owner is not None


async def renew(
    session: AsyncSession, held: Claim, *, now: datetime, lease: timedelta, resume: bool = False
) -> bool | None:
    """Extend the lease; returns whether cancellation was requested, None if the lease is lost.

    With `resume`, a claim the reaper queued again because its heartbeats stopped (its worker
    was stalled, not dead) is taken back while no other worker has claimed it since (the
    attempt fences that): the run goes on with the rows it stored instead of starting over.
    """
    status = Execution.status == ExecutionStatus.RUNNING
    if resume:
        status = Execution.status.in_((ExecutionStatus.RUNNING, ExecutionStatus.QUEUED))
    return (
        await session.execute(
            update(Execution)
            .where(Execution.id == held.execution_id, Execution.attempt == held.attempt, status)
            .values(status=ExecutionStatus.RUNNING, lease_until=now + lease, heartbeat_at=now)
            .returning(Execution.cancel_requested)
        )
    ).scalar_one_or_none()


async def finish(
    session: AsyncSession,
    held: Claim,
    status: ExecutionStatus,
    *,
    now: datetime,
    rows: int,
    pages: int,
    steps: int,
    error: str | None,
    llm_tokens: int = 0,
) -> bool:
    """Record the outcome and count it in the owner's monthly usage, once; False: lease lost.

    Rows and steps past the final counts (left by an earlier attempt that got further) are
    deleted, so what is stored is exactly what the finishing attempt produced.
    """
    done = (
        await session.execute(
            update(Execution)
            .where(*_owned(held))
            .values(
                status=status,
                finished_at=now,
                lease_until=None,
                rows=rows,
                pages=pages,
                error=error,
            )
            .returning(Execution.id)
        )
    ).scalar_one_or_none()
    if done is None:
        return False
    execution_id = held.execution_id
    await session.execute(
        delete(ResultRow).where(ResultRow.execution_id == execution_id, ResultRow.seq > rows)
    )
    for model in (ExecutionStep, Artifact):
        await session.execute(
            delete(model).where(model.execution_id == execution_id, model.step > steps)
        )
    await add_usage(
        session,
        held.user_id,
        now=now,
        executions=1,
        rows=rows,
        pages=pages,
        llm_tokens=llm_tokens,
    )
    return True


async def requeue(
    session: AsyncSession, held: Claim, *, now: datetime, error: str, refund: bool = False
) -> bool:
    """Hand an execution back to the queue; False: lease lost.

    `refund` gives the attempt back (a graceful shutdown is no failure of the execution).
    """
    done = (
        await session.execute(
            update(Execution)
            .where(*_owned(held))
            .values(
                status=ExecutionStatus.QUEUED,
                queued_at=now,
                lease_until=None,
                error=error,
                attempt=Execution.attempt - 1 if refund else Execution.attempt,
            )
            .returning(Execution.id)
        )
    ).scalar_one_or_none()
    return done is not None


async def fail(
    session: AsyncSession, execution_id: uuid.UUID, *, now: datetime, error: str
) -> None:
    """Mark an unfinished execution failed (crash loop, lost bot version)."""
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status.not_in(FINISHED))
        .values(status=ExecutionStatus.FAILED, finished_at=now, lease_until=None, error=error)
    )


async def add_usage(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    now: datetime,
    executions: int = 0,
    rows: int = 0,
    pages: int = 0,
    llm_tokens: int = 0,
) -> None:
    """Add to the owner's counters for the month of `now` (UTC)."""
    values = {"executions": executions, "rows": rows, "pages": pages, "llm_tokens": llm_tokens}
    statement = _upsert(session)(MonthlyUsage).values(
        user_id=user_id, month=now.strftime("%Y-%m"), **values
    )
    table = MonthlyUsage.__table__.c
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.user_id, table.month],
            set_={name: table[name] + statement.excluded[name] for name in values},
        )
    )


def _no_nul(value: Any) -> Any:
    """The value without NUL characters, which PostgreSQL refuses in text and JSON alike
    (scraped pages do contain them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_no_nul(key): _no_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nul(item) for item in value]
    return value


async def save_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert result rows; a row already stored under its `(execution_id, seq)` is kept."""
    if rows:
        statement = _upsert(session)(ResultRow).on_conflict_do_nothing()
        await session.execute(statement, [_no_nul(row) for row in rows])


async def save_steps(session: AsyncSession, steps: Sequence[dict[str, Any]]) -> None:
    """Insert or replace steps by `(execution_id, step)`: a retried attempt rewrites them."""
    if not steps:
        return
    statement = _upsert(session)(ExecutionStep)
    keys = {"execution_id", "step"}
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["execution_id", "step"],
            set_={name: statement.excluded[name] for name in steps[0] if name not in keys},
        ),
        [_no_nul(step) for step in steps],
    )


async def save_logs(session: AsyncSession, logs: Sequence[dict[str, Any]]) -> None:
    """Append log lines."""
    if logs:
        await session.execute(insert(ExecutionLog), [_no_nul(log) for log in logs])


async def save_artifacts(session: AsyncSession, artifacts: Sequence[dict[str, Any]]) -> None:
    """Record stored artifacts; one stored again under the same key replaces its record."""
    if not artifacts:
        return
    statement = _upsert(session)(Artifact)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["storage_key"],
            set_={
                name: statement.excluded[name]
                for name in artifacts[0]
                if name not in {"id", "storage_key"}
            },
        ),
        list(artifacts),
    )


async def request_cancel(session: AsyncSession, execution_id: uuid.UUID, *, now: datetime) -> None:
    """Cancel a queued execution at once, or ask a running one to stop between steps."""
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status == ExecutionStatus.QUEUED)
        .values(
            status=ExecutionStatus.CANCELLED,
            finished_at=now,
            cancel_requested=True,
            error="cancelled on request",
        )
    )
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status == ExecutionStatus.RUNNING)
        .values(cancel_requested=True)
    )
