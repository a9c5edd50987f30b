"""Executions through the queue: throughput with 1, 2 and 4 worker processes, and the latency
from enqueue to start. Needs PostgreSQL and Redis on 127.0.0.1 (a throw-away database and an
empty Redis database are used and cleaned up).

The baseline is the same trivial HTTP bot run back to back by `engine.run` in this process:
no queue, no database, no worker. Each worker process runs 4 executions at a time.

    python -m bench.queue [--executions 200] [--out bench/out/queue.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql
from sqlalchemy import func, select

import store
from bench import LOOPBACK
from engine import ListSink, load_workflow, run
from trawler.demo_site import DemoSite
from worker import enqueue, make_broker

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
THREADS = 4


def trivial_bot(base: str) -> dict[str, Any]:
    """One page over HTTP, one list extracted: the queue and the store are what is measured."""
    return {
        "name": "bench trivial",
        "settings": {"renderer": "http"},
        "nodes": [
            {"id": "open", "type": "navigate", "data": {"url": f"{base}/shop"}},
            {
                "id": "rows",
                "type": "extract",
                "data": {
                    "item_selector": "li.product",
                    "fields": [{"name": "name", "selector": "a.title"}],
                },
            },
        ],
        "edges": [{"source": "open", "target": "rows"}],
    }


@contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"trawler_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
            store.upgrade(url)
            yield url
        finally:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@contextmanager
def empty_redis() -> Iterator[str]:
    for index in range(15, 0, -1):
        client = redis.Redis(db=index)
        if client.dbsize() == 0 and client.set("trawler:bench:lock", 1, nx=True, ex=3600):
            try:
                yield f"redis://127.0.0.1:6379/{index}"
            finally:
                client.flushdb()
            return
    raise RuntimeError("no empty Redis database on 127.0.0.1:6379")


async def seed(db: store.Database, document: dict[str, Any], count: int) -> list[uuid.UUID]:
    async with db.transaction() as session:
        user = store.User(email=f"{uuid.uuid4().hex}@bench", password_hash="x")
        session.add(user)
        await session.flush()
        bot = store.Bot(user_id=user.id, name="bench", current_version=1)
        session.add(bot)
        await session.flush()
        version = store.BotVersion(bot_id=bot.id, version=1, workflow=document)
        session.add(version)
        await session.flush()
        now = datetime.now(UTC)
        return [
            (await store.create_execution(session, version, user.id, store.Trigger.API, now=now)).id
            for _ in range(count)
        ]


async def finished(db: store.Database, ids: list[uuid.UUID]) -> int:
    async with db.transaction() as session:
        query = select(func.count()).where(
            store.Execution.id.in_(ids), store.Execution.status.in_(store.FINISHED)
        )
        return int((await session.execute(query)).scalar_one())


async def wait_all(db: store.Database, ids: list[uuid.UUID]) -> None:
    while True:  # polling the store is what a client would do too
        if await finished(db, ids) >= len(ids):
            return
        await asyncio.sleep(0.02)


async def baseline(document: dict[str, Any], count: int) -> float:
    workflow = load_workflow(document)
    started = time.perf_counter()
    for _ in range(count):
        outcome = await run(workflow, ListSink(), network=LOOPBACK)
        assert outcome.status == "succeeded", outcome.error
    return count / (time.perf_counter() - started)


async def through_workers(
    db: store.Database, redis_url: str, document: dict[str, Any], count: int
) -> float:
    broker = make_broker(redis_url)
    try:
        await wait_all(db, _send(broker, await seed(db, document, 2 * THREADS)))  # warm-up
        ids = await seed(db, document, count)
        started = time.perf_counter()
        await wait_all(db, _send(broker, ids))
        elapsed = time.perf_counter() - started
    finally:
        broker.close()
    async with db.transaction() as session:
        query = select(func.count()).where(
            store.Execution.id.in_(ids), store.Execution.status == store.ExecutionStatus.SUCCEEDED
        )
        assert (await session.execute(query)).scalar_one() == count, "some executions failed"
    return count / elapsed


def _send(broker: Any, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    for execution_id in ids:
        enqueue(broker, execution_id)
    return ids


async def latency(
    db: store.Database, redis_url: str, document: dict[str, Any], count: int
) -> list[float]:
    """Enqueue one execution every 100 ms to idle workers; milliseconds until each started."""
    broker = make_broker(redis_url)
    ids = await seed(db, document, count)
    sent: dict[uuid.UUID, datetime] = {}
    try:
        for execution_id in ids:
            sent[execution_id] = datetime.now(UTC)
            enqueue(broker, execution_id)
            await asyncio.sleep(0.1)
        await wait_all(db, ids)
    finally:
        broker.close()
    async with db.transaction() as session:
        rows = await session.execute(
            select(store.Execution.id, store.Execution.started_at).where(
                store.Execution.id.in_(ids)
            )
        )
        return [(started - sent[i]).total_seconds() * 1000 for i, started in rows if started]


@contextmanager
def workers(count: int, db_url: str, redis_url: str, logs: Path) -> Iterator[None]:
    env = {
        **os.environ,
        "TRAWLER_DATABASE_URL": db_url,
        "TRAWLER_REDIS_URL": redis_url,
        "TRAWLER_ALLOWED_NETWORKS": '["127.0.0.1"]',  # the bench site, on loopback
        "TRAWLER_WORKER__THREADS": str(THREADS),
        "TRAWLER_ARTIFACTS__PATH": str(logs / "artifacts"),
        "TRAWLER_LOG_LEVEL": "WARNING",
    }
    started = []
    for index in range(count):
        with (logs / f"worker-{count}-{index}.log").open("wb") as out:
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "trawler", "worker"], env=env, stdout=out, stderr=out
                )
            )
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def main(executions: int, logs: Path) -> dict[str, Any]:
    site = DemoSite()
    site.start()
    document = trivial_bot(site.base_url)
    results: dict[str, Any] = {"executions": executions, "threads_per_worker": THREADS}
    try:
        results["baseline_per_s"] = await baseline(document, executions)
        with throwaway_database() as db_url, empty_redis() as redis_url:
            db = store.Database(db_url)
            try:
                for count in (1, 2, 4):
                    with workers(count, db_url, redis_url, logs):
                        rate = await through_workers(db, redis_url, document, executions)
                        results[f"workers_{count}_per_s"] = rate
                        if count == 1:
                            samples = await latency(db, redis_url, document, 100)
                            results["latency_ms"] = {
                                "p50": statistics.median(samples),
                                "p99": percentile(samples, 0.99),
                                "max": max(samples),
                            }
            finally:
                await db.dispose()
    finally:
        site.stop()
    return results


def report(results: dict[str, Any]) -> None:
    base = results["baseline_per_s"]
    print(
        f"{results['executions']} executions of a one-page HTTP bot, "
        f"{results['threads_per_worker']} threads per worker process\n"
    )
    print(f"{'case':40} {'executions/s':>12} {'ratio':>8}")
    print(f"{'engine.run in process (baseline)':40} {base:12.1f} {1.0:8.2f}")
    for count in (1, 2, 4):
        rate = results[f"workers_{count}_per_s"]
        case = f"{count} worker process(es), Dramatiq + store"
        print(f"{case:40} {rate:12.1f} {rate / base:8.2f}")
    lat = results["latency_ms"]
    print(
        f"\nenqueue to start, idle worker: p50 {lat['p50']:.1f} ms, "
        f"p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench/out/queue.json"))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    outcome = asyncio.run(main(args.executions, args.out.parent))
    report(outcome)
    args.out.write_text(json.dumps(outcome, indent=2))
