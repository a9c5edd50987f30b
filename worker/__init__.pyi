from ._config import SchedulerSettings, WorkerSettings
from ._execution import execute
from ._process import WorkerConfig, run_worker, start_worker
from ._proxies import Rotators
from ._runtime import Runtime
from ._sink import StoreSink
from .cron import cron_trigger, next_run, upcoming
from .dispatch import (
    PRIORITY_QUEUE,
    QUEUE,
    enqueue,
    make_broker,
    progress_channel,
    wants_priority,
)
from .scheduler import Scheduler, serve_scheduler

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
