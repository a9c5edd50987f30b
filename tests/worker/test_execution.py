"""`execute()` in this process: claim, StoreSink, heartbeat, cancellation, limits, retries."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

import store
from engine import RowEmitted
from tests.worker.conftest import load, now, paced_bot, paced_rows, rows_of, seed, wait_status
from trawler.demo_site import DemoSite
from worker import Runtime, StoreSink, execute, progress_channel


async def _count(db: store.Database, model: type[store.Base], execution_id: uuid.UUID) -> int:
    async with db.transaction() as session:
        query = select(func.count()).select_from(model).filter_by(execution_id=execution_id)
        return (await session.execute(query)).scalar_one()


async def _waiting_for_a_lock(db: store.Database) -> bool:
    """Whether a query of this database waits for a lock (asked in a transaction of its own:
    `pg_stat_activity` holds still within one)."""
    async with db.transaction() as session:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return bool((await session.execute(query)).scalar_one())


async def test_an_execution_runs_into_the_store(runtime: Runtime, site: DemoSite) -> None:
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=3, trace="steps"))
    pubsub = runtime.redis.pubsub()
    await pubsub.subscribe(progress_channel(execution_id))

    await execute(runtime, execution_id)

    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    assert (execution.attempt, execution.rows, execution.pages) == (1, 9, 3)
    assert execution.started_at is not None
    assert execution.finished_at is not None
    assert execution.lease_until is None
    assert await rows_of(runtime.db, execution_id) == paced_rows(3)
    async with runtime.db.transaction() as session:
        steps = (
            await session.scalars(
                select(store.ExecutionStep)
                .filter_by(execution_id=execution_id)
                .order_by(store.ExecutionStep.step)
            )
        ).all()
        artifacts = (
            await session.scalars(select(store.Artifact).filter_by(execution_id=execution_id))
        ).all()
        usage = await store.usage_of(session, execution.user_id, now().strftime("%Y-%m"))
    assert [s.node_id for s in steps][:3] == ["open", "pages", "rows"]
    assert all(s.status == store.StepStatus.SUCCEEDED for s in steps)
    assert [(s.node_id, s.rows) for s in steps if s.node_id != "rows"] == [
        ("open", 0),
        ("pages", 9),
    ]
    screenshots = [a for a in artifacts if a.kind == store.ArtifactKind.SCREENSHOT]
    assert len(screenshots) == len(steps)
    first = await runtime.artifacts.get(screenshots[0].storage_key)
    assert first.startswith(b"\x89PNG")
    assert len(first) == screenshots[0].size
    assert (usage.executions, usage.rows, usage.pages) == (1, 9, 3)

    published: list[dict[str, Any]] = []
    while not published or published[-1]["type"] != "finished":
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
        if message is not None:
            published.append(json.loads(message["data"]))
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    kinds = [m["type"] for m in published]
    assert kinds[0] == "step_started"
    assert kinds[-1] == "finished"
    assert published[-1] == {
        "type": "finished",
        "status": "succeeded",
        "rows": 9,
        "pages": 3,
        "error": None,
    }
    assert max(m["rows"] for m in published if m["type"] == "progress") == 9


async def test_a_duplicate_delivery_does_nothing(runtime: Runtime, site: DemoSite) -> None:
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=2))
    await asyncio.gather(execute(runtime, execution_id), execute(runtime, execution_id))
    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED
    assert execution.attempt == 1
    assert await rows_of(runtime.db, execution_id) == paced_rows(2)
    await execute(runtime, execution_id)  # redelivered after it finished
    assert (await load(runtime.db, execution_id)).attempt == 1


async def test_cancel_through_the_store_keeps_the_rows(runtime: Runtime, site: DemoSite) -> None:
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=40, delay_ms=150))
    task = asyncio.create_task(execute(runtime, execution_id))
    while await _count(runtime.db, store.ResultRow, execution_id) < 6:
        await asyncio.sleep(0.1)
    asked = asyncio.get_running_loop().time()
    async with runtime.db.transaction() as session:
        await store.request_cancel(session, execution_id, now=now())
    await task
    took = asyncio.get_running_loop().time() - asked
    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.CANCELLED
    assert took < 3, f"cancellation took {took:.1f} s"
    rows = await rows_of(runtime.db, execution_id)
    assert len(rows) >= 6
    assert rows == paced_rows(40)[: len(rows)]
    assert execution.rows == len(rows)


async def test_a_write_cut_short_by_cancellation_keeps_its_rows(
    runtime: Runtime, site: DemoSite
) -> None:
    """A node stopped (by a cancel request or the time limit) while its rows are being
    written does not take the rows with it: the write goes on, so the rows the run counts are
    the rows stored."""
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=1))
    async with runtime.db.transaction() as session:
        held = await store.claim(session, execution_id, now=now(), lease=runtime.settings.lease)
    assert held is not None
    sink = StoreSink(runtime, held)
    for seq in (1, 2, 3):
        await sink.emit(RowEmitted(seq, {"row": f"Row 1.{seq}"}, "rows", 3))
    async with runtime.db.transaction() as lock:  # the rows' write waits until it ends
        await lock.execute(text("LOCK TABLE result_rows IN EXCLUSIVE MODE"))
        writing = asyncio.create_task(sink.flush())
        async with asyncio.timeout(10):  # the INSERT waits for the lock
            while not await _waiting_for_a_lock(runtime.db):
                await asyncio.sleep(0.05)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
    assert await sink.flush()
    assert await rows_of(runtime.db, execution_id) == paced_rows(1)


async def test_a_queued_execution_is_cancelled_at_once(runtime: Runtime, site: DemoSite) -> None:
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=2))
    async with runtime.db.transaction() as session:
        await store.request_cancel(session, execution_id, now=now())
    await execute(runtime, execution_id)  # its message arrives later: nothing runs
    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.CANCELLED
    assert execution.attempt == 0


async def test_the_worker_time_limit_times_out_and_keeps_rows(
    runtime: Runtime, site: DemoSite
) -> None:
    from datetime import timedelta

    runtime.settings = runtime.settings.model_copy(update={"time_limit": timedelta(seconds=2)})
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=40, delay_ms=150))
    await execute(runtime, execution_id)
    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.TIMED_OUT
    assert "2000 ms" in (execution.error or "")
    rows = await rows_of(runtime.db, execution_id)
    assert rows
    assert rows == paced_rows(40)[: len(rows)]


async def test_an_invalid_bot_version_fails_naming_the_node(runtime: Runtime) -> None:
    document = {"nodes": [{"id": "go", "type": "navigate", "data": {}}], "edges": []}
    _, execution_id = await seed(runtime.db, document)
    await execute(runtime, execution_id)
    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.FAILED
    assert "'go'" in (execution.error or "")
    assert "url" in (execution.error or "")


async def test_a_crash_loop_ends_after_max_attempts(runtime: Runtime, site: DemoSite) -> None:
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=1))
    async with runtime.db.transaction() as session:
        execution = await session.get_one(store.Execution, execution_id)
        execution.attempt = runtime.settings.max_attempts
    await execute(runtime, execution_id)
    execution = await wait_status(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.FAILED
    assert "gave up after 3 attempts" in (execution.error or "")
    assert await rows_of(runtime.db, execution_id) == []


async def test_an_execution_runs_on_the_embedded_sqlite_store(
    runtime: Runtime, site: DemoSite, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'trawler.db'}"
    store.upgrade(url)
    pg = runtime.db
    runtime.db = store.Database(url)
    try:
        _, execution_id = await seed(runtime.db, paced_bot(site, pages=2))
        await asyncio.gather(execute(runtime, execution_id), execute(runtime, execution_id))
        execution = await load(runtime.db, execution_id)
        assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
        assert execution.attempt == 1
        assert execution.finished_at is not None
        assert execution.finished_at.tzinfo is not None
        assert await rows_of(runtime.db, execution_id) == paced_rows(2)
    finally:
        await runtime.db.dispose()
        runtime.db = pg


async def test_concurrent_loop_items_lose_no_row_between_flushes(
    runtime: Runtime, site: DemoSite
) -> None:
    from datetime import timedelta

    from tests.engine.conftest import bot, node

    runtime.settings = runtime.settings.model_copy(
        update={"row_batch": 1, "flush_interval": timedelta(0)}
    )
    document = bot(
        node("open", "navigate", url=f"{site.base_url}/shop"),
        node(
            "each",
            "for_each",
            selector="li.product",
            link="a.title",
            fields=[{"name": "name", "selector": "a.title"}],
            concurrency=4,
        ),
        node("detail", "extract", mode="single", fields=[{"name": "sku", "selector": ".sku"}]),
        edges=[("open", "each"), ("each", "detail", "body")],
        trace="steps",
    )
    _, execution_id = await seed(runtime.db, document)
    await execute(runtime, execution_id)
    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.SUCCEEDED, execution.error
    rows = await rows_of(runtime.db, execution_id)
    assert len(rows) == execution.rows > 4
    assert all(row["sku"] for row in rows)
    async with runtime.db.transaction() as session:
        steps = (
            await session.scalars(select(store.ExecutionStep).filter_by(execution_id=execution_id))
        ).all()
    assert len(steps) > 4
    assert {step.status for step in steps} == {store.StepStatus.SUCCEEDED}


async def test_a_worker_that_lost_its_lease_stops_writing(runtime: Runtime, site: DemoSite) -> None:
    _, execution_id = await seed(runtime.db, paced_bot(site, pages=40, delay_ms=150))
    task = asyncio.create_task(execute(runtime, execution_id))
    while await _count(runtime.db, store.ResultRow, execution_id) < 3:
        await asyncio.sleep(0.05)
    async with runtime.db.transaction() as session:  # another worker took it over
        execution = await session.get_one(store.Execution, execution_id)
        execution.attempt += 1
    taken = await _count(runtime.db, store.ResultRow, execution_id)
    await asyncio.wait_for(task, 5)
    execution = await load(runtime.db, execution_id)
    assert execution.status == store.ExecutionStatus.RUNNING  # the new owner's to finish
    assert execution.attempt == 2
    # at most the batch being written at the takeover got in; nothing after
    assert await _count(runtime.db, store.ResultRow, execution_id) <= taken + 3


async def test_nul_characters_from_scraped_pages_are_stored(runtime: Runtime) -> None:
    """PostgreSQL refuses NUL in text and JSON; the store drops it instead of failing."""
    _, execution_id = await seed(runtime.db, {"nodes": [], "edges": []})
    async with runtime.db.transaction() as session:
        await store.save_rows(
            session,
            [
                {
                    "execution_id": execution_id,
                    "seq": 1,
                    "node_id": "n",
                    "data": {"na\x00me": "a\x00b", "list": ["c\x00"]},
                }
            ],
        )
        await store.save_logs(
            session,
            [
                {
                    "execution_id": execution_id,
                    "step": None,
                    "level": "info",
                    "message": "x\x00y",
                    "at": now(),
                }
            ],
        )
    assert await rows_of(runtime.db, execution_id) == [{"name": "ab", "list": ["c"]}]
