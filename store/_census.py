"""What monitoring reads from the database: executions by status, the oldest one running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store._enums import ExecutionStatus
from store._executions import Execution


@dataclass(frozen=True, slots=True)
class ExecutionCensus:
    """Every status with its count (zero included), and when the longest run now started."""

    by_status: dict[ExecutionStatus, int]
    oldest_running_since: datetime | None


async def execution_census(session: AsyncSession) -> ExecutionCensus:
    """Count executions by status (an index scan on `(status, lease_until)`)."""
    counted = await session.execute(
        select(Execution.status, func.count()).group_by(Execution.status)
    )
    by_status = dict.fromkeys(ExecutionStatus, 0)
    for status, count in counted:
        by_status[status] = count
    oldest = await session.scalar(
        select(func.min(Execution.started_at)).where(Execution.status == ExecutionStatus.RUNNING)
    )
    return ExecutionCensus(by_status, oldest)
