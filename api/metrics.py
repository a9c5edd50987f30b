"""`GET /metrics` for Prometheus: the API's requests, and what Redis and the database show of
the queues, the workers and the executions when it is scraped.

Requests are labelled by the route's template (`/api/v1/bots/{bot_id}`), never the raw path,
and timed to the first byte of the answer (a live stream is not a slow request). Queue depth
and workers alive are read from Redis keys named in `worker.dispatch` (the API has no broker
of its own to ask). Under `trawler serve` the in-process worker's and scheduler's metrics are
in the same registry and show here too.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import store
from api.deps import ContextDep
from worker.dispatch import ACTORS, WORKER_ALIVE, WORKERS_KEY, queue_key

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; 0.5 is a bound, so "p99 over 500 ms" is read without interpolating across it."""
UNMATCHED = "unmatched"
"""The route label of a request no route took (a 404): raw paths would be unbounded."""


@dataclass(frozen=True)
class HttpMetrics:
    requests: Counter
    latency: Histogram


@functools.cache
def http_metrics() -> HttpMetrics:
    """The process's request metrics (made once, however many apps a process creates)."""
    return HttpMetrics(
        requests=Counter(
            "trawler_api_requests_total",
            "Requests answered, by method, route template and status code.",
            ["method", "route", "status"],
        ),
        latency=Histogram(
            "trawler_api_request_duration_seconds",
            "Time to the first byte of the answer, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
        ),
    )


def route_template(scope: Scope) -> str:
    """The template of the route that took the request, its router prefixes included."""
    route = scope.get("route")
    template: str | None = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if template is None or pattern is None:
        return UNMATCHED
    # a route of an included router knows its path below the router's prefix only; the
    # prefix is what comes before the part of the path that its pattern matches
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):  # behind a proxy that strips a prefix: the app's path
        path = path[len(root) :]
    for at, char in enumerate(path):
        if char == "/" and pattern.match(path[at:]):
            return path[:at] + template
    return template


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request except the scrapes themselves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.metrics = http_metrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        status: int | None = None
        route = ""

        def answered(code: int) -> None:
            nonlocal status, route
            status, route = code, route_template(scope)  # routed by now: worked out once
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            if status is None:  # it raised before answering: the server answers 500
                answered(500)
            self.metrics.requests.labels(method, route, str(status)).inc()


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
async def metrics(ctx: ContextDep, request: Request) -> Response:
    """Prometheus metrics: requests, queue depth, workers alive, executions by status."""
    families = [*await _queues(ctx), *await _executions(ctx)]
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    # collectors of an in-process worker wait on its event loop: not on this one
    body = await asyncio.to_thread(encode, _Scrape(families))
    return Response(body, media_type=content_type)


class _Scrape:
    """The process's registry and what this scrape read, as one collector."""

    def __init__(self, read: list[Metric]) -> None:
        self.read = read

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
        yield from self.read


def _up(source: str, up: bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"trawler_{source}_up",
        f"Whether the API could read the {source} for this scrape (1) or not (0).",
        value=int(up),
    )


async def _queues(ctx: ContextDep) -> list[Metric]:
    depth = GaugeMetricFamily(
        "trawler_queue_depth", "Messages waiting in each queue.", labels=["queue"]
    )
    delayed = GaugeMetricFamily(
        "trawler_queue_delayed",
        "Messages waiting for their time (retries after a backoff) in each queue.",
        labels=["queue"],
    )
    alive = GaugeMetricFamily(
        "trawler_workers_alive",
        f"Worker processes that beat in the last {WORKER_ALIVE.total_seconds():g} s.",
    )
    try:
        async with ctx.redis.pipeline(transaction=False) as pipe:
            pipe.time()
            for queue in ACTORS:
                pipe.llen(queue_key(queue))
                pipe.llen(queue_key(f"{queue}.DQ"))  # Dramatiq's delay queue of `queue`
            (seconds, micros), *lengths = await pipe.execute()
        now = seconds + micros / 1e6
        workers = await ctx.redis.zcount(WORKERS_KEY, now - WORKER_ALIVE.total_seconds(), "+inf")
    except Exception as exc:  # an alert on trawler_redis_up says more than a failed scrape
        log.warning("metrics: Redis not read: %s", exc)
        return [_up("redis", False)]
    for index, queue in enumerate(ACTORS):
        depth.add_metric([queue], lengths[2 * index])
        delayed.add_metric([queue], lengths[2 * index + 1])
    alive.add_metric([], workers)
    return [depth, delayed, alive, _up("redis", True)]


async def _executions(ctx: ContextDep) -> list[Metric]:
    try:
        async with ctx.db.session() as session:
            census = await store.execution_census(session)
    except Exception as exc:
        log.warning("metrics: database not read: %s", exc)
        return [_up("database", False)]
    counts = GaugeMetricFamily(
        "trawler_executions", "Executions in the database, by status.", labels=["status"]
    )
    for status, count in census.by_status.items():
        counts.add_metric([status.value], count)
    since = census.oldest_running_since
    oldest = GaugeMetricFamily(
        "trawler_execution_oldest_running_seconds",
        "How long the longest-running execution has run (its current attempt); 0: none runs.",
        value=(datetime.now(UTC) - since).total_seconds() if since else 0.0,
    )
    return [counts, oldest, _up("database", True)]
