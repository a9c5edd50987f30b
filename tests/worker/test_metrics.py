"""A real `trawler worker`'s metrics endpoint and log lines, and a real scheduler's metrics."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from structlog.contextvars import get_contextvars

import store
from tests.conftest import free_port
from tests.prometheus import scrape_until
from tests.proxies.servers import LoopbackProxy
from tests.worker.conftest import (
    PrivateRedis,
    Processes,
    now,
    paced_bot,
    paced_rows,
    rows_of,
    seed,
    wait_status,
)
from tests.worker.test_process import _send
from trawler.demo_site import DemoSite
from worker import Runtime, execute

SECRET = "pw-never-shown"


async def test_a_worker_counts_what_it_ran_and_logs_it_as_json(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    bot_id, execution_id = await seed(database, paced_bot(site, pages=2))
    port = free_port()
    async with LoopbackProxy("deployment", credentials=("me", SECRET)) as proxy:
        worker = processes.start(
            "worker",
            TRAWLER_WORKER__METRICS_PORT=str(port),
            TRAWLER_WORKER__METRICS_HOST="127.0.0.1",
            TRAWLER_LOG_FORMAT="json",
            TRAWLER_PROXIES__PROXIES=json.dumps([proxy.url]),
        )
        _send(redis_url, execution_id)
        execution = await wait_status(database, execution_id)
        assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
        assert await rows_of(database, execution_id) == paced_rows(2)
        url = f"http://127.0.0.1:{port}/metrics"
        done = await scrape_until(
            url,
            lambda s: s.value("trawler_worker_executions_finished_total", status="succeeded") == 1,
        )

    assert done.value("trawler_worker_pages_total") == execution.pages == 2
    assert done.value("trawler_worker_rows_total") == execution.rows == 6
    assert done.value("trawler_worker_execution_duration_seconds_count", status="succeeded") == 1
    assert done.value("trawler_worker_executions_finished_total", status="failed") == 0
    assert done.value("trawler_worker_executions_running") == 0
    # the pool, read from the worker's event loop at scrape time
    assert done.value("trawler_browser_pool_browsers", state="alive") == 1
    assert done.value("trawler_browser_pool_launches_total") == 1
    assert done.value("trawler_browser_pool_crashes_total") == 0
    assert done.value("trawler_browser_pool_lease_wait_seconds_count") == 1
    assert done.value("trawler_browser_pool_contexts") == 0
    # the proxy, by its address and never its credentials
    assert (
        done.value("trawler_proxy_requests_total", proxy=proxy.server, outcome="success") or 0
    ) >= 1
    assert done.value("trawler_proxies", proxy=proxy.server, state="ok") == 1
    assert SECRET not in done.text
    assert "me@" not in done.text
    # no high-cardinality label, and nothing of the API's
    assert str(execution_id) not in done.text
    assert str(bot_id) not in done.text
    assert done.value("trawler_api_requests_total") is None

    worker.terminate()
    worker.wait(30)
    lines = [json.loads(line) for line in processes.output(worker).splitlines() if line.strip()]
    assert all({"timestamp", "level", "logger", "event"} <= set(line) for line in lines)
    assert any(line["event"].startswith("worker started") for line in lines)
    mine = [line for line in lines if line.get("execution_id") == str(execution_id)]
    assert [line["event"] for line in mine] == [
        f"execution {execution_id}: attempt 1 started",
        mine[-1]["event"],
    ]
    assert mine[-1]["event"].startswith(f"execution {execution_id}: succeeded, 6 rows, 2 pages")
    assert mine[-1]["rows"] == 6
    assert {line["bot_id"] for line in mine} == {str(bot_id)}
    assert {line["logger"] for line in mine} == {"worker._execution"}


class _Contexts(logging.Handler):
    """Keeps each record's message with the log context bound where it was made."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), get_contextvars()))


async def test_records_inside_an_execution_carry_its_ids_and_no_others_do(
    database: store.Database, runtime: Runtime, site: DemoSite, caplog: pytest.LogCaptureFixture
) -> None:
    bot_id, execution_id = await seed(database, paced_bot(site, pages=1))
    caplog.set_level(logging.INFO, logger="worker._execution")
    contexts = _Contexts()
    logging.getLogger("worker._execution").addHandler(contexts)
    try:
        await execute(runtime, execution_id)
        await execute(runtime, execution_id)  # a duplicate delivery: not claimed, no bot
    finally:
        logging.getLogger("worker._execution").removeHandler(contexts)
    assert (await wait_status(database, execution_id)).status == store.ExecutionStatus.SUCCEEDED
    ids = {"execution_id": str(execution_id), "bot_id": str(bot_id)}
    assert [context for _, context in contexts.seen] == [
        ids,
        ids,
        {"execution_id": str(execution_id)},
    ]
    assert contexts.seen[-1][0].endswith("already taken, finished or cancelled")
    assert get_contextvars() == {}  # it ended with the execution


async def test_a_scheduler_counts_what_it_fired(
    database: store.Database, processes: Processes, private_redis: PrivateRedis
) -> None:
    bot_id, _ = await seed(database, {"nodes": [], "edges": []}, queued=False)
    async with database.transaction() as session:
        session.add(
            store.Schedule(
                bot_id=bot_id, cron="* * * * *", next_run_at=now() - timedelta(seconds=1)
            )
        )
    port = free_port()
    processes.start(
        "scheduler",
        TRAWLER_REDIS_URL=private_redis.url,  # what it sends, no worker of another test runs
        TRAWLER_SCHEDULER__METRICS_PORT=str(port),
        TRAWLER_SCHEDULER__METRICS_HOST="127.0.0.1",
    )
    fired = await scrape_until(
        f"http://127.0.0.1:{port}/metrics",
        lambda s: (s.value("trawler_scheduler_schedules_fired_total") or 0) >= 1,
    )
    assert fired.value("trawler_scheduler_executions_requeued_total") is not None
    assert fired.value("trawler_worker_executions_running") is None  # no worker here
