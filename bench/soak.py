"""A worker running browser bots back to back for a long time: its memory and its Chromium
process count must stay flat. Needs PostgreSQL and Redis on 127.0.0.1 (a throw-away database
and an empty Redis database are used and cleaned up).

One `trawler worker` (4 executions at a time, one browser pool) gets the demo catalog bot (50
pages in the browser) with a backlog of 8 queued executions, topped up every 2 s. Every
`--every` seconds the bench samples the worker's process tree: the worker's own RSS, the sum
over its Chromium processes, how many there are, and executions finished and failed.

    python -m bench.soak [--minutes 30] [--every 30] [--out bench/out/soak.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from sqlalchemy import func, select

import store
from bench.__main__ import catalog_bot
from bench.queue import empty_redis, seed, throwaway_database
from trawler.demo_site import DemoSite
from worker import enqueue, make_broker

BACKLOG = 8
THREADS = 4


@dataclass
class Sample:
    minute: float
    worker_mb: float
    driver_mb: float
    chromium_mb: float
    chromium_processes: int
    succeeded: int
    failed: int


def _measure(worker: psutil.Process) -> tuple[float, float, float, int]:
    """RSS in MB of the worker, its Playwright driver and its Chromiums; Chromium processes."""
    own = worker.memory_info().rss / 2**20
    driver = chromium = 0.0
    count = 0
    for child in worker.children(recursive=True):
        try:
            name, rss = child.name().lower(), child.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            continue
        if "chrom" in name:
            chromium += rss
            count += 1
        else:
            driver += rss
    return own, driver, chromium, count


async def _counts(db: store.Database, ids: list[uuid.UUID]) -> tuple[int, int, int]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(store.Execution.status, func.count())
            .where(store.Execution.id.in_(ids))
            .group_by(store.Execution.status)
        )
        by: dict[store.ExecutionStatus, int] = dict(rows.all())
    done = sum(by.get(s, 0) for s in store.FINISHED)
    return (
        done,
        by.get(store.ExecutionStatus.SUCCEEDED, 0),
        done - by.get(store.ExecutionStatus.SUCCEEDED, 0),
    )


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "trawler", "worker"], env=env, stdout=out, stderr=out
        )


async def soak(minutes: float, every: float, logs: Path) -> list[Sample]:
    site = DemoSite()
    site.start()
    samples: list[Sample] = []
    try:
        with throwaway_database() as db_url, empty_redis() as redis_url:
            db = store.Database(db_url)
            broker = make_broker(redis_url)
            env = {
                **os.environ,
                "TRAWLER_DATABASE_URL": db_url,
                "TRAWLER_REDIS_URL": redis_url,
                "TRAWLER_ALLOWED_NETWORKS": '["127.0.0.1"]',
                "TRAWLER_WORKER__THREADS": str(THREADS),
                "TRAWLER_ARTIFACTS__PATH": str(logs / "artifacts"),
                "TRAWLER_LOG_LEVEL": "WARNING",
            }
            document = catalog_bot(site.base_url, "browser")
            process = _start_worker(env, logs / "soak-worker.log")
            worker = psutil.Process(process.pid)
            ids: list[uuid.UUID] = []
            try:
                started = time.monotonic()
                next_sample = started
                while (now := time.monotonic()) - started < minutes * 60:
                    done, succeeded, failed = await _counts(db, ids)
                    if len(ids) - done < BACKLOG:
                        for execution_id in await seed(db, document, BACKLOG):
                            enqueue(broker, execution_id)
                            ids.append(execution_id)
                    if now >= next_sample:
                        own, driver, chromium, count = _measure(worker)
                        minute = (now - started) / 60
                        sample = Sample(minute, own, driver, chromium, count, succeeded, failed)
                        samples.append(sample)
                        print(_row(sample), flush=True)
                        next_sample += every
                    await asyncio.sleep(2)
            finally:
                process.terminate()
                process.wait(60)
                broker.close()
                await db.dispose()
    finally:
        site.stop()
    return samples


def _row(s: Sample) -> str:
    return (
        f"{s.minute:7.1f} {s.worker_mb:10.0f} {s.driver_mb:10.0f} {s.chromium_mb:12.0f}"
        f" {s.chromium_processes:10d}"
        f" {s.succeeded:10d} {s.failed:7d}"
    )


def report(samples: list[Sample]) -> None:
    print(f"{'minute':>7} {'worker MB':>10} {'driver MB':>10} {'chromium MB':>12} {'processes':>10}"
          f" {'succeeded':>10} {'failed':>7}")  # fmt: skip
    for sample in samples:
        print(_row(sample))
    fifth = max(1, len(samples) // 5)
    first, last = samples[1 : 1 + fifth], samples[-fifth:]  # the first sample is the start-up
    for name in ("worker_mb", "driver_mb", "chromium_mb", "chromium_processes"):
        before = statistics.mean(getattr(s, name) for s in first or samples[:1])
        after = statistics.mean(getattr(s, name) for s in last)
        print(f"{name:20} first fifth {before:8.1f}   last fifth {after:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--out", type=Path, default=Path("bench/out/soak.json"))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    samples = asyncio.run(soak(args.minutes, args.every, args.out.parent))
    report(samples)
    args.out.write_text(json.dumps([asdict(s) for s in samples], indent=2))


if __name__ == "__main__":
    main()
