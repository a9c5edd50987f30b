"""Persistence: SQLAlchemy 2 models, async sessions and the Alembic migrations of the schema."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from store._accounts import ApiKey, MonthlyUsage, Payment, RefreshToken, Subscription, User
from store._base import Base
from store._bots import Bot, BotVersion, Schedule
from store._enums import (
    ArtifactKind,
    DeliveryStatus,
    DestinationKind,
    ExecutionStatus,
    LogLevel,
    StepStatus,
    Trigger,
)
from store._executions import Artifact, Execution, ExecutionLog, ExecutionStep, ResultRow
from store._exports import Delivery, ExportDestination
from store._migrate import alembic_config, downgrade, upgrade
from store._owned import (
    add_version,
    create_bot,
    current_version,
    delete_bot,
    list_bots,
    own_bot,
    own_execution,
    running_count,
    steps_of,
    stream_rows,
    versions,
)
from store._runs import (
    FINISHED,
    Claim,
    add_usage,
    claim,
    create_execution,
    fail,
    finish,
    holds,
    renew,
    request_cancel,
    requeue,
    save_artifacts,
    save_logs,
    save_rows,
    save_steps,
)
from store._schedules import (
    DueSchedule,
    delete_results,
    due_schedules,
    expired,
    stale_queued,
    stale_running,
    usage_of,
)
from store._users import (
    add_refresh_token,
    create_user,
    refresh_token,
    revoke_family,
    user_by_email,
)
from store.artifacts import ArtifactStore, LocalArtifacts, S3Artifacts
from store.crypto import SecretBox, derive_key
from store.db import UNAVAILABLE, Database, async_url, create_engine, session_factory, sync_url
from store.errors import ArtifactMissing, Conflict, SecretUnreadable, StoreError

metadata = Base.metadata
Session = AsyncSession
"""The session type, for annotations outside the store (which never imports SQLAlchemy)."""

__all__ = [
    "FINISHED",
    "UNAVAILABLE",
    "ApiKey",
    "Artifact",
    "ArtifactKind",
    "ArtifactMissing",
    "ArtifactStore",
    "Base",
    "Bot",
    "BotVersion",
    "Claim",
    "Conflict",
    "Database",
    "Delivery",
    "DeliveryStatus",
    "DestinationKind",
    "DueSchedule",
    "Execution",
    "ExecutionLog",
    "ExecutionStatus",
    "ExecutionStep",
    "ExportDestination",
    "LocalArtifacts",
    "LogLevel",
    "MonthlyUsage",
    "Payment",
    "RefreshToken",
    "ResultRow",
    "S3Artifacts",
    "Schedule",
    "SecretBox",
    "SecretUnreadable",
    "Session",
    "StepStatus",
    "StoreError",
    "Subscription",
    "Trigger",
    "User",
    "add_refresh_token",
    "add_usage",
    "add_version",
    "alembic_config",
    "async_url",
    "claim",
    "create_bot",
    "create_engine",
    "create_execution",
    "create_user",
    "current_version",
    "delete_bot",
    "delete_results",
    "derive_key",
    "downgrade",
    "due_schedules",
    "expired",
    "fail",
    "finish",
    "holds",
    "list_bots",
    "metadata",
    "own_bot",
    "own_execution",
    "refresh_token",
    "renew",
    "request_cancel",
    "requeue",
    "revoke_family",
    "running_count",
    "save_artifacts",
    "save_logs",
    "save_rows",
    "save_steps",
    "session_factory",
    "stale_queued",
    "stale_running",
    "steps_of",
    "stream_rows",
    "sync_url",
    "upgrade",
    "usage_of",
    "user_by_email",
    "versions",
]
