"""Executions sharing a worker process: one that misbehaves (a pathological pattern) or a
process that stalls must not cost any run a row."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from sqlalchemy import select

import store
from tests.engine.conftest import bot, node
from tests.worker.conftest import (
    Processes,
    load,
    paced_bot,
    paced_rows,
    rows_of,
    seed,
    wait_status,
)
from tests.worker.test_process import _send, _wait_rows
from trawler.demo_site import DemoSite

SLOW = r"(a|aa)+$"
"""Exponential on a run of a's that ends in "!": seconds per value at 34 a's with `re`."""


async def _logs(db: store.Database, execution_id: object) -> list[str]:
    async with db.transaction() as session:
        found = await session.scalars(
            select(store.ExecutionLog.message).filter_by(execution_id=execution_id)
        )
        return list(found)


async def test_a_pathological_pattern_costs_its_neighbour_nothing(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    bad = bot(
        node("open", "navigate", url=f"{site.base_url}/lab/repeat?times=34&items=4"),
        node(
            "words",
            "extract",
            item_selector="li.long",
            fields=[{"name": "word", "transforms": [{"op": "regex", "pattern": SLOW}]}],
        ),
        timeouts={"navigation_ms": 3000, "action_ms": 3000, "selector_ms": 0},
    )
    pages = 8
    _, good_id = await seed(database, paced_bot(site, pages=pages, delay_ms=150))
    _, bad_id = await seed(database, bad)
    processes.start("worker")  # two threads: both run at once, on one event loop
    processes.start("scheduler")  # its reaper takes over executions whose heartbeats stop
    _send(redis_url, good_id)
    await _wait_rows(database, good_id, 3)
    _send(redis_url, bad_id)

    failed = await wait_status(database, bad_id)
    assert failed.status == store.ExecutionStatus.FAILED
    assert failed.error == (
        "node 'words' (extract) failed: field 'word': the pattern '(a|aa)+$' took longer than "
        "1000 ms on a value of 35 characters"
    )
    good = await wait_status(database, good_id)
    assert good.status == store.ExecutionStatus.SUCCEEDED, good.error
    assert good.attempt == 1
    assert good.rows == pages * 3
    assert await rows_of(database, good_id) == paced_rows(pages)


async def test_a_stalled_worker_goes_on_with_its_rows(
    database: store.Database, processes: Processes, redis_url: str, site: DemoSite
) -> None:
    pages = 10
    _, execution_id = await seed(database, paced_bot(site, pages=pages, delay_ms=200))
    worker = processes.start("worker")
    processes.start("scheduler")
    _send(redis_url, execution_id)
    await _wait_rows(database, execution_id, 6)
    os.kill(worker.pid, signal.SIGSTOP)  # stalled, not dead: no heartbeat past the 3 s lease
    try:
        deadline = time.monotonic() + 20
        while (await load(database, execution_id)).status != store.ExecutionStatus.QUEUED:
            assert time.monotonic() < deadline, "the reaper did not queue the execution again"
            await asyncio.sleep(0.1)
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    execution = await wait_status(database, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert execution.attempt == 1  # taken back, not started over
    assert await rows_of(database, execution_id) == paced_rows(pages)
    assert any("the worker stalled for" in line for line in await _logs(database, execution_id))
