"""Real `trawler worker` and `trawler scheduler` processes, and the faults they must survive."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import psutil
from sqlalchemy import func, select

import store
from tests.worker.conftest import (
    Processes,
    load,
    paced_bot,
    paced_rows,
    rows_of,
    seed,
    wait_status,
)
from trawler.demo_site import DemoSite
from worker import enqueue, make_broker


async def _rows_stored(db: store.Database, execution_id: uuid.UUID) -> int:
    async with db.transaction() as session:
        query = (
            select(func.count()).select_from(store.ResultRow).filter_by(execution_id=execution_id)
        )
        return (await session.execute(query)).scalar_one()


async def _wait_rows(db: store.Database, execution_id: uuid.UUID, at_least: int) -> None:
    for _ in range(600):
        if await _rows_stored(db, execution_id) >= at_least:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} rows stored for {execution_id}")


def _send(redis_url: str, execution_id: uuid.UUID) -> None:
    broker = make_broker(redis_url)
    try:
        enqueue(broker, execution_id)
    finally:
        broker.close()


async def test_a_worker_process_runs_an_enqueued_execution(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    _, execution_id = await seed(database, paced_bot(site, pages=3, trace="steps"))
    processes.start("worker")
    _send(redis_url, execution_id)
    execution = await wait_status(database, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert await rows_of(database, execution_id) == paced_rows(3)
    async with database.transaction() as session:
        steps = await session.scalar(
            select(func.count())
            .select_from(store.ExecutionStep)
            .filter_by(execution_id=execution_id)
        )
        shots = (
            await session.scalars(
                select(store.Artifact).filter_by(
                    execution_id=execution_id, kind=store.ArtifactKind.SCREENSHOT
                )
            )
        ).all()
        logs = (
            await session.scalars(
                select(store.ExecutionLog)
                .filter_by(execution_id=execution_id)
                .order_by(store.ExecutionLog.id)  # heap order is no order
            )
        ).all()
    assert steps == len(shots) > 3
    assert [log.message for log in logs][:3] == [
        "page 1: 3 rows",
        "page 2: 3 rows",
        "page 3: 3 rows",
    ]


async def test_sigkill_of_the_worker_mid_run_is_taken_over(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    pages = 12
    _, execution_id = await seed(database, paced_bot(site, pages=pages, delay_ms=250))
    first = processes.start("worker")
    _send(redis_url, execution_id)
    await _wait_rows(database, execution_id, 6)
    Processes.kill(first)  # no goodbye: the lease is left to run out
    processes.start("worker")
    processes.start("scheduler")  # its reaper queues the execution again once the lease ends
    execution = await wait_status(database, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert execution.attempt == 2
    assert await rows_of(database, execution_id) == paced_rows(pages)
    assert execution.rows == pages * 3


async def test_sigkill_of_chromium_mid_run_is_retried(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    pages = 10
    document = paced_bot(site, pages=pages, delay_ms=250, trace="steps")
    _, execution_id = await seed(database, document)
    worker = processes.start("worker")
    _send(redis_url, execution_id)
    await _wait_rows(database, execution_id, 6)
    browsers = [
        child
        for child in psutil.Process(worker.pid).children(recursive=True)
        if "chrom" in child.name() or "headless" in child.name()
    ]
    assert browsers
    for browser in browsers:
        browser.send_signal(signal.SIGKILL)
    execution = await wait_status(database, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert execution.attempt == 2
    assert await rows_of(database, execution_id) == paced_rows(pages)
    async with database.transaction() as session:
        logs = (
            await session.scalars(select(store.ExecutionLog).filter_by(execution_id=execution_id))
        ).all()
    assert any("queued again" in log.message for log in logs)
    # the crashed attempt's screenshots went with it: only attempt 2's remain
    stored = Path(processes.env["TRAWLER_ARTIFACTS__PATH"]) / str(execution_id)
    assert sorted(p.name for p in stored.iterdir()) == ["2"]


async def test_sigterm_hands_running_executions_to_another_worker(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    pages = 10
    _, execution_id = await seed(database, paced_bot(site, pages=pages, delay_ms=250))
    first = processes.start("worker")
    _send(redis_url, execution_id)
    await _wait_rows(database, execution_id, 3)
    first.send_signal(signal.SIGTERM)
    assert first.wait(20) == 0, processes.output(first)
    execution = await load(database, execution_id)
    assert execution.status == store.ExecutionStatus.QUEUED
    assert "shut down" in (execution.error or "")
    assert execution.attempt == 0  # a graceful hand-back costs no attempt
    processes.start("worker")
    execution = await wait_status(database, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert execution.attempt == 1
    assert await rows_of(database, execution_id) == paced_rows(pages)


async def test_the_same_message_delivered_twice_runs_once(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    _, execution_id = await seed(database, paced_bot(site, pages=3))
    processes.start("worker")
    _send(redis_url, execution_id)
    _send(redis_url, execution_id)
    execution = await wait_status(database, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert execution.attempt == 1
    assert await rows_of(database, execution_id) == paced_rows(3)
