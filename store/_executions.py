"""Executions and what one produces: steps, logs, result rows and artifacts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from store._base import Base, BigIntId, created_at_column, string_enum
from store._enums import ArtifactKind, ExecutionStatus, LogLevel, StepStatus, Trigger


def _execution_fk() -> ForeignKey:
    """A reference to the owning execution: its rows go when it goes."""
    return ForeignKey("executions.id", ondelete="CASCADE")


class Execution(Base):
    """One run of one bot version; workers claim it with a lease and heart-beat while running."""

    __tablename__ = "executions"
    __table_args__ = (
        # the scheduler's reaper: running executions whose lease ran out
        Index(None, "status", "lease_until"),
        # a user's history, newest first
        Index(None, "user_id", "created_at"),
        # a bot's history, newest first: its last run in the bots listing is one index probe
        Index(None, "bot_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"))
    bot_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bot_versions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ExecutionStatus] = mapped_column(
        string_enum(ExecutionStatus, "execution_status"),
        default=ExecutionStatus.QUEUED,
        server_default=ExecutionStatus.QUEUED.value,
    )
    trigger: Mapped[Trigger] = mapped_column(string_enum(Trigger, "execution_trigger"))
    created_at: Mapped[datetime] = created_at_column()
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ExecutionStep(Base):
    """One node visit of an execution, numbered from 1 in the order the runner took them."""

    __tablename__ = "execution_steps"

    execution_id: Mapped[uuid.UUID] = mapped_column(_execution_fk(), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(128))
    node_type: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[StepStatus] = mapped_column(string_enum(StepStatus, "step_status"))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    error: Mapped[str | None] = mapped_column(Text)
    # why a loop stopped, a switch of renderer, a page loaded again after a transient failure
    note: Mapped[str | None] = mapped_column(Text)
    # [{"selector", "count", "boxes": [[left, top, width, height], ...]}], boxes as fractions
    # of the step's screenshot: what the replay highlights.
    selectors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # the step's model calls: {"model", "calls", "tokens_in", "tokens_out", "latency_ms"}
    llm: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ExecutionLog(Base):
    """One log line of an execution; `id` orders lines written in the same instant."""

    __tablename__ = "execution_logs"
    __table_args__ = (Index(None, "execution_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(_execution_fk())
    step: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[LogLevel] = mapped_column(string_enum(LogLevel, "log_level"))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = created_at_column()


class ResultRow(Base):
    """One extracted row; `(execution_id, seq)` makes a retried batch write idempotent."""

    __tablename__ = "result_rows"

    execution_id: Mapped[uuid.UUID] = mapped_column(_execution_fk(), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Plain JSON, not JSONB: it keeps the keys in the order they were extracted, which is the
    # order of a download's columns; nothing queries inside a row.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    node_id: Mapped[str | None] = mapped_column(String(128))
    step: Mapped[int | None] = mapped_column(Integer)


class Artifact(Base):
    """A screenshot, HTML snapshot or trace; the bytes live in artifact storage, not here."""

    __tablename__ = "artifacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    execution_id: Mapped[uuid.UUID] = mapped_column(_execution_fk(), index=True)
    step: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[ArtifactKind] = mapped_column(string_enum(ArtifactKind, "artifact_kind"))
    size: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str] = mapped_column(String(64))  # sha256, hex
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    content_type: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = created_at_column()
