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
from store.crypto import SecretBox, derive_key
from store.db import async_url, create_engine, session_factory, sync_url
from store.errors import SecretUnreadable, StoreError

metadata = Base.metadata

__all__ = [
    "ApiKey",
    "Artifact",
    "ArtifactKind",
    "Base",
    "Bot",
    "BotVersion",
    "Delivery",
    "DeliveryStatus",
    "DestinationKind",
    "Execution",
    "ExecutionLog",
    "ExecutionStatus",
    "ExecutionStep",
    "ExportDestination",
    "LogLevel",
    "MonthlyUsage",
    "Payment",
    "RefreshToken",
    "ResultRow",
    "Schedule",
    "SecretBox",
    "SecretUnreadable",
    "StepStatus",
    "StoreError",
    "Subscription",
    "Trigger",
    "User",
    "alembic_config",
    "async_url",
    "create_engine",
    "derive_key",
    "downgrade",
    "metadata",
    "session_factory",
    "sync_url",
    "upgrade",
]
