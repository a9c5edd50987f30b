"""The worker's and the scheduler's tuning, as nested sections of trawler's settings."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field


class WorkerSettings(BaseModel):
    """`TRAWLER_WORKER__*`: how a worker process runs executions."""

    threads: int = Field(
        4, ge=1, le=64, description="Executions one worker process runs at once (one browser)."
    )
    queues: list[str] = Field(
        default_factory=list,
        description="Queues to consume; empty: all. A worker for test runs and paid plans "
        "only: ['executions.priority'].",
    )
    lease: timedelta = Field(
        timedelta(seconds=60),
        description="How long a claim holds without a heartbeat before another worker may "
        "take the execution over.",
    )
    heartbeat: timedelta = Field(
        timedelta(seconds=3),
        description="How often a running execution renews its lease and checks for "
        "cancellation (so cancelling takes at most this long).",
    )
    max_attempts: int = Field(
        3, ge=1, description="Attempts before an execution whose worker keeps dying fails."
    )
    retry_backoff: timedelta = Field(
        timedelta(seconds=5),
        description="Delay before rerunning after a browser crash; doubles with each attempt.",
    )
    time_limit: timedelta = Field(
        timedelta(hours=1),
        description="The longest any execution may run; a bot's own is kept when shorter.",
    )
    test_time_limit: timedelta = Field(
        timedelta(seconds=60), description="The longest a test run from the builder may take."
    )
    test_max_pages: int = Field(3, ge=1, description="Pages a test run from the builder loads.")
    row_batch: int = Field(500, ge=1, description="Rows written to the database per batch.")
    flush_interval: timedelta = Field(
        timedelta(seconds=1), description="Longest time rows and steps wait before being written."
    )
    redelivery_after: timedelta = Field(
        timedelta(seconds=60),
        description="Silence after which the broker hands a dead worker's messages to others.",
    )
    metrics_port: int = Field(
        9191,
        ge=0,
        le=65535,
        description="Where the worker serves its Prometheus metrics (/metrics); 0: nowhere.",
    )
    metrics_host: str = Field(
        "0.0.0.0",
        description="The address it listens on: all, so Prometheus in another container can "
        "reach it (the numbers carry no ids and no credentials); 127.0.0.1 keeps it local.",
    )


class SchedulerSettings(BaseModel):
    """`TRAWLER_SCHEDULER__*`: the clock, the reaper and housekeeping."""

    tick: timedelta = Field(timedelta(seconds=5), description="How often due schedules fire.")
    batch: int = Field(100, ge=1, description="Schedules or executions handled per tick.")
    requeue_after: timedelta = Field(
        timedelta(minutes=10),
        description="An execution still queued after this is enqueued again (its message may "
        "have been lost with a Redis restart).",
    )
    retention: timedelta = Field(
        timedelta(days=30),
        description="Results and artifacts of finished executions kept this long.",
    )
    housekeeping: timedelta = Field(
        timedelta(minutes=5), description="How often retention and usage housekeeping runs."
    )
    metrics_port: int = Field(
        9192,
        ge=0,
        le=65535,
        description="Where the scheduler serves its Prometheus metrics (/metrics); 0: nowhere.",
    )
    metrics_host: str = Field("0.0.0.0", description="The address it listens on.")
