"""API latency and throughput under concurrent load from a second process.

A `trawler api` process on a throw-away PostgreSQL database and an empty Redis database; a
load process (this module with `--load`) sends requests from 16 concurrent connections. The
baseline is `GET /health` (no database, no auth) measured in the same command.

    python -m bench.api [--requests 2000] [--out bench/out/api.json]
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

import store
from api.security import hash_password
from bench.queue import empty_redis, percentile, throwaway_database

CONCURRENCY = 16
ROWS = 10_000


async def load(url: str, headers: dict[str, str], count: int) -> dict[str, float]:
    """Send `count` GETs to `url` over CONCURRENCY connections; latency percentiles and rate."""
    latencies: list[float] = []
    queue: asyncio.Queue[None] = asyncio.Queue()
    for _ in range(count):
        queue.put_nowait(None)

    async def connection(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            started = time.perf_counter()
            answer = await client.get(url, headers=headers)
            await answer.aread()
            assert answer.status_code == 200, answer.text[:200]
            latencies.append((time.perf_counter() - started) * 1000)

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(connection(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return {
        "per_s": count / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
    }


async def seed(db: store.Database) -> tuple[uuid.UUID, uuid.UUID]:
    """An enterprise user with 50 bots and one execution holding ROWS rows."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        user = await store.create_user(session, "bench@example.com", "x", plan="enterprise")
        workflow = {"nodes": [{"id": "n", "type": "navigate", "data": {"url": "https://x.y"}}]}
        for index in range(50):
            _, version = await store.create_bot(session, user.id, f"bot {index}", "bench", workflow)
        execution = await store.create_execution(
            session, version, user.id, store.Trigger.API, now=now
        )
        execution.status = store.ExecutionStatus.SUCCEEDED
        for start in range(0, ROWS, 1000):
            await store.save_rows(
                session,
                [
                    {
                        "execution_id": execution.id,
                        "seq": seq + 1,
                        "node_id": "n",
                        "data": {
                            "name": f"Product {seq}",
                            "price": seq * 1.5,
                            "sku": f"S{seq:06d}",
                        },
                    }
                    for seq in range(start, start + 1000)
                ],
            )
        return user.id, execution.id


def api_key(base: str) -> str:
    credentials = {"email": "bench@example.com", "password": "bench-password"}
    with httpx.Client(base_url=f"{base}/api/v1") as client:
        token = client.post("/auth/login", json=credentials).json()["access_token"]
        answer = client.post(
            "/api-keys", json={"name": "bench"}, headers={"Authorization": f"Bearer {token}"}
        )
        return str(answer.json()["key"])


async def prepare(db_url: str) -> uuid.UUID:
    """Seed the database; returns the execution whose rows are downloaded."""
    db = store.Database(db_url)
    try:
        user_id, execution_id = await seed(db)
        async with db.transaction() as session:
            user = await session.get_one(store.User, user_id)
            user.password_hash = hash_password("bench-password")
        return execution_id
    finally:
        await db.dispose()


def main(requests: int, logs: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"requests": requests, "concurrency": CONCURRENCY, "rows": ROWS}
    with throwaway_database() as db_url, empty_redis() as redis_url:
        execution_id = asyncio.run(prepare(db_url))
        port = 8390
        env = {
            **os.environ,
            "TRAWLER_DATABASE_URL": db_url,
            "TRAWLER_REDIS_URL": redis_url,
            "TRAWLER_ALLOWED_NETWORKS": '["127.0.0.1"]',  # the bench site, on loopback
            "TRAWLER_API__SECURE_COOKIES": "false",
            "TRAWLER_SECRET_KEY": "bench-secret-key-0123",
            "TRAWLER_LOG_LEVEL": "WARNING",
        }
        with (logs / "api.log").open("wb") as out:
            api = subprocess.Popen(
                [sys.executable, "-m", "trawler", "api", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=out,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            headers = {"X-API-Key": api_key(base)}
            cases = {
                "GET /health (baseline)": (f"{base}/health", requests),
                "GET /api/v1/bots": (f"{base}/api/v1/bots", requests),
                f"GET result, {ROWS} rows, json": (
                    f"{base}/api/v1/executions/{execution_id}/result",
                    requests // 20,
                ),
                f"GET result, {ROWS} rows, csv": (
                    f"{base}/api/v1/executions/{execution_id}/result?format=csv",
                    requests // 20,
                ),
            }
            for name, (url, count) in cases.items():
                # the load comes from a second process, as it would from clients
                answer = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.api",
                        "--load",
                        url,
                        "--count",
                        str(count),
                        "--headers",
                        json.dumps(headers),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[name] = json.loads(answer.stdout)
        finally:
            api.terminate()
            api.wait(30)
    return results


def report(results: dict[str, Any]) -> None:
    base = results["GET /health (baseline)"]
    print(f"{results['concurrency']} concurrent connections from a second process\n")
    print(f"{'case':36} {'req/s':>9} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for name, figures in results.items():
        if not isinstance(figures, dict):
            continue
        print(
            f"{name:36} {figures['per_s']:9.1f} {figures['per_s'] / base['per_s']:7.2f} "
            f"{figures['p50_ms']:8.1f} {figures['p99_ms']:8.1f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/api.json"))
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--headers", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(json.dumps(asyncio.run(load(args.load, json.loads(args.headers), args.count))))
        raise SystemExit(0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    outcome = main(args.requests, args.out.parent)
    report(outcome)
    args.out.write_text(json.dumps(outcome, indent=2))
