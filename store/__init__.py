"""Persistence: SQLAlchemy 2 models, async sessions and the Alembic migrations of the schema."""

from __future__ import annotations

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
from store.artifacts import ArtifactStore, LocalArtifacts, S3Artifacts
from store.crypto import SecretBox, derive_key
from store.db import UNAVAILABLE, Database, async_url, create_engine, session_factory, sync_url
from store.errors import ArtifactMissing, SecretUnreadable, StoreError

metadata = Base.metadata

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
    "StepStatus",
    "StoreError",
    "Subscription",
    "Trigger",
    "User",
    "add_usage",
    "alembic_config",
    "async_url",
    "claim",
    "create_engine",
    "create_execution",
    "delete_results",
    "derive_key",
    "downgrade",
    "due_schedules",
    "expired",
    "fail",
    "finish",
    "holds",
    "metadata",
    "renew",
    "request_cancel",
    "requeue",
    "save_artifacts",
    "save_logs",
    "save_rows",
    "save_steps",
    "session_factory",
    "stale_queued",
    "stale_running",
    "sync_url",
    "upgrade",
    "usage_of",
]
