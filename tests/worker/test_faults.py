"""Redis and PostgreSQL restarts under running workers, on servers private to each test."""

from __future__ import annotations

import uuid

import store
from tests.worker.conftest import (
    PrivatePostgres,
    PrivateRedis,
    Processes,
    paced_bot,
    paced_rows,
    rows_of,
    seed,
    wait_status,
)
from tests.worker.test_process import _wait_rows
from trawler.demo_site import DemoSite
from worker import enqueue, make_broker


def _send(redis_url: str, *execution_ids: uuid.UUID) -> None:
    broker = make_broker(redis_url)
    try:
        for execution_id in execution_ids:
            enqueue(broker, execution_id)
    finally:
        broker.close()


async def test_a_redis_restart_loses_no_execution(
    database: store.Database,
    processes: Processes,
    private_redis: PrivateRedis,
    site: DemoSite,
) -> None:
    """Messages in a Redis without persistence vanish with a restart; the scheduler's requeue
    job sends them again and the worker, which survives the restart, runs them all."""
    redis = {"TRAWLER_REDIS_URL": private_redis.url}
    running = (await seed(database, paced_bot(site, pages=8, delay_ms=250)))[1]
    waiting = [(await seed(database, paced_bot(site, pages=2)))[1] for _ in range(3)]
    processes.start("worker", TRAWLER_WORKER__THREADS="1", **redis)
    _send(private_redis.url, running, *waiting)
    await _wait_rows(database, running, 3)
    private_redis.restart()  # the three waiting messages are gone
    processes.start("scheduler", **redis)

    await wait_status(database, running)
    for execution_id, pages in [(running, 8)] + [(w, 2) for w in waiting]:
        execution = await wait_status(database, execution_id)
        assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
        assert await rows_of(database, execution_id) == paced_rows(pages)


async def test_a_postgres_restart_during_a_run_loses_no_row(
    processes: Processes, private_postgres: PrivatePostgres, site: DemoSite
) -> None:
    """Writes wait while the database is down and go through when it is back."""
    database = store.Database(private_postgres.url)
    try:
        pages = 10
        _, execution_id = await seed(database, paced_bot(site, pages=pages, delay_ms=250))
        worker = processes.start("worker", TRAWLER_DATABASE_URL=private_postgres.url)
        _send(processes.env["TRAWLER_REDIS_URL"], execution_id)
        await _wait_rows(database, execution_id, 6)
        private_postgres.outage(2.0)  # the run goes on; its writes wait
        execution = await wait_status(database, execution_id)
        assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
        assert execution.attempt == 1
        assert await rows_of(database, execution_id) == paced_rows(pages)
        assert worker.poll() is None
        assert "writes postponed" in processes.output(worker)
    finally:
        await database.dispose()
