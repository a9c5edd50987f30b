"""`GET /metrics` of a real `trawler api`: requests by route template, and the queues, workers
and executions as Redis and the database show them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

import store
from tests.api.conftest import ApiUser, start_api, start_run, wait_finished
from tests.prometheus import scrape, scrape_until
from tests.worker.conftest import PrivateRedis, Processes, paced_bot
from tests.worker.conftest import private_redis as private_redis  # the fixture, shared
from trawler.demo_site import DemoSite
from worker.dispatch import PRIORITY_QUEUE, QUEUE

BOT = "/api/v1/bots/{bot_id}"


@asynccontextmanager
async def signed_in(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a new account of the API at `api_url`."""
    async with httpx.AsyncClient(base_url=f"{api_url}/api/v1", timeout=30) as client:
        credentials = {"email": f"{uuid.uuid4().hex}@example.com", "password": "s3cret-pass"}
        assert (await client.post("/auth/register", json=credentials)).status_code == 201
        answer = await client.post("/auth/login", json=credentials)
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client


async def test_requests_are_counted_and_timed_by_route_template(
    new_user: ApiUser, api_url: str, site: DemoSite
) -> None:
    client = await new_user()
    created = await client.post("/bots", json={"name": "m", "workflow": paced_bot(site)})
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]
    for _ in range(3):
        assert (await client.get(f"/bots/{bot_id}")).status_code == 200
    assert (await client.get(f"/bots/{uuid.uuid4()}")).status_code == 404
    assert (await client.get("/no/such/thing")).status_code == 404
    assert (await client.get(f"{api_url}/metrics")).status_code == 200  # not counted itself

    scraped = scrape(f"{api_url}/metrics")
    count = "trawler_api_requests_total"
    assert scraped.value(count, method="GET", route=BOT, status="200") == 3
    assert scraped.value(count, method="GET", route=BOT, status="404") == 1
    assert scraped.value(count, method="POST", route="/api/v1/bots", status="201") == 1
    assert scraped.value(count, method="GET", route="unmatched", status="404") == 1
    latency = "trawler_api_request_duration_seconds"
    assert scraped.value(f"{latency}_count", method="GET", route=BOT) == 4
    assert scraped.value(f"{latency}_bucket", method="GET", route=BOT, le="+Inf") == 4
    assert scraped.value(f"{latency}_bucket", method="GET", route=BOT, le="0.5") is not None
    assert scraped.labels(count) == {"method", "route", "status"}
    routes = {s.labels["route"] for s in scraped.samples if s.name == count}
    assert "/metrics" not in routes
    assert not [route for route in routes if bot_id in route or "/no/such" in route]
    # the API runs no worker: none of a worker's series
    assert scraped.value("trawler_worker_executions_running") is None


@pytest.fixture
def alone(
    processes: Processes, new_database: Callable[[], str], private_redis: PrivateRedis
) -> dict[str, str]:
    """A database and a Redis of this test only: what it counts is exactly what it did."""
    url = new_database()
    store.upgrade(url)
    return {"TRAWLER_DATABASE_URL": url, "TRAWLER_REDIS_URL": private_redis.url}


async def test_queue_depth_workers_alive_and_executions_follow_reality(
    processes: Processes, alone: dict[str, str], site: DemoSite
) -> None:
    api_url = start_api(processes, TRAWLER_API__SECURE_COOKIES="false", **alone)
    url = f"{api_url}/metrics"
    before = scrape(url)
    assert before.value("trawler_redis_up") == before.value("trawler_database_up") == 1
    assert before.value("trawler_workers_alive") == 0
    assert before.value("trawler_queue_depth", queue=QUEUE) == 0
    assert before.value("trawler_queue_depth", queue=PRIORITY_QUEUE) == 0
    assert before.value("trawler_executions") == 0
    assert before.value("trawler_execution_oldest_running_seconds") == 0

    # a free plan's run, with no worker to take it: one message waits, one execution queued
    async with signed_in(api_url) as client:
        execution_id = await start_run(client, "slow", paced_bot(site, pages=3, delay_ms=700))
        waiting = scrape(url)
        assert waiting.value("trawler_queue_depth", queue=QUEUE) == 1
        assert waiting.value("trawler_queue_depth", queue=PRIORITY_QUEUE) == 0
        assert waiting.value("trawler_executions", status="queued") == 1
        assert waiting.value("trawler_workers_alive") == 0

        processes.start("worker", **alone)
        running = await scrape_until(
            url, lambda s: s.value("trawler_executions", status="running") == 1
        )
        assert running.value("trawler_workers_alive") == 1
        assert running.value("trawler_queue_depth", queue=QUEUE) == 0
        oldest = running.value("trawler_execution_oldest_running_seconds")
        assert oldest is not None
        assert 0 < oldest < 60

        finished = await wait_finished(client, execution_id)
    assert finished["status"] == "succeeded", finished["error"]
    after = scrape(url)
    assert after.value("trawler_executions", status="succeeded") == 1
    assert after.value("trawler_executions") == 1
    assert after.value("trawler_workers_alive") == 1


async def test_metrics_need_no_sign_in_and_say_their_format(api_url: str) -> None:
    answer = httpx.get(f"{api_url}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE trawler_queue_depth gauge" in answer.text
    openmetrics = httpx.get(
        f"{api_url}/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.endswith("# EOF\n")
