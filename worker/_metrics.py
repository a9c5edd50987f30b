"""The worker's and the scheduler's Prometheus metrics, and the server that exposes them.

Made on first use, in prometheus_client's default registry, so they exist only in processes
that run executions or schedules (the API imports this package too and shows none of them).
`trawler worker` and `trawler scheduler` serve the registry on a port of their own; under
`trawler serve` the API's /metrics shows it. No label carries an execution, bot or user id.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from engine import RunFinished

log = logging.getLogger(__name__)

STATUSES = ("succeeded", "failed", "cancelled", "timed_out")
"""The final statuses; each has its series from the start, so rates exist before the first."""

DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
"""Seconds: runs last from a second (one HTTP page) to the one-hour limit."""


@dataclass(frozen=True)
class ExecutionMetrics:
    """What a worker process counts of the executions it runs."""

    finished: Counter
    requeued: Counter
    duration: Histogram
    running: Gauge
    pages: Counter
    rows: Counter

    def ended(self, finished: RunFinished) -> None:
        """An execution reached its final status (its outcome is stored)."""
        self.finished.labels(finished.status).inc()
        self.duration.labels(finished.status).observe(finished.duration_ms / 1000)
        self.rows.inc(finished.rows)

    def failed(self) -> None:
        """An execution failed before it ran (invalid bot, unreadable secrets, out of attempts)."""
        self.finished.labels("failed").inc()


@functools.cache
def execution_metrics() -> ExecutionMetrics:
    """The process's execution metrics."""
    made = ExecutionMetrics(
        finished=Counter(
            "trawler_worker_executions_finished_total",
            "Executions this worker brought to their final status, by status.",
            ["status"],
        ),
        requeued=Counter(
            "trawler_worker_executions_requeued_total",
            "Attempts handed back to the queue (browser crash with attempts left, shutdown).",
        ),
        duration=Histogram(
            "trawler_worker_execution_duration_seconds",
            "How long finished executions ran (the engine's run), by final status.",
            ["status"],
            buckets=DURATION_BUCKETS,
        ),
        running=Gauge("trawler_worker_executions_running", "Executions running in this worker."),
        pages=Counter("trawler_worker_pages_total", "Pages loaded by this worker's runs."),
        rows=Counter("trawler_worker_rows_total", "Rows of executions this worker finished."),
    )
    for status in STATUSES:
        made.finished.labels(status)
        made.duration.labels(status)
    return made


@dataclass(frozen=True)
class SchedulerMetrics:
    """What a scheduler process counts."""

    fired: Counter
    skipped: Counter
    requeued: Counter


@functools.cache
def scheduler_metrics() -> SchedulerMetrics:
    """The process's scheduler metrics."""
    return SchedulerMetrics(
        fired=Counter(
            "trawler_scheduler_schedules_fired_total", "Schedules that created an execution."
        ),
        skipped=Counter(
            "trawler_scheduler_schedules_skipped_total",
            "Due schedules that did not run (quota reached, no saved version, bot deleted).",
        ),
        requeued=Counter(
            "trawler_scheduler_executions_requeued_total",
            "Executions sent to the queue again: their worker stopped heart-beating, or their "
            "message was lost.",
        ),
    )


def serve_metrics(host: str, port: int) -> Callable[[], None]:
    """Serve the process's metrics on http://host:port/metrics (port 0: not at all); returns
    the function that stops it. A port already taken is logged, not fatal: running executions
    matters more than counting them."""
    if not port:
        return lambda: None
    try:
        server, thread = start_http_server(port, host)
    except OSError as exc:
        log.warning("metrics not served on %s:%d: %s", host, port, exc)
        return lambda: None
    log.info("metrics on http://%s:%d/metrics", host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
