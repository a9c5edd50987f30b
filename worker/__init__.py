"""Workers: Dramatiq actors that run executions, the scheduler, and the dispatch they share."""

from __future__ import annotations

from worker._config import SchedulerSettings, WorkerSettings
from worker._execution import execute
from worker._process import WorkerConfig, run_worker, start_worker
from worker._proxies import Rotators
from worker._runtime import Runtime
from worker._sink import StoreSink
from worker.cron import cron_trigger, next_run, upcoming
from worker.dispatch import (
    PRIORITY_QUEUE,
    QUEUE,
    enqueue,
    make_broker,
    progress_channel,
    wants_priority,
)
from worker.scheduler import Scheduler, serve_scheduler

__all__ = [
    "PRIORITY_QUEUE",
    "QUEUE",
    "Rotators",
    "Runtime",
    "Scheduler",
    "SchedulerSettings",
    "StoreSink",
    "WorkerConfig",
    "WorkerSettings",
    "cron_trigger",
    "enqueue",
    "execute",
    "make_broker",
    "next_run",
    "progress_channel",
    "run_worker",
    "serve_scheduler",
    "start_worker",
    "upcoming",
    "wants_priority",
]
