"""How the API and the scheduler hand an execution to the workers: the one function they call.

Messages carry the execution id only; everything else is read from the store when the
execution starts. Enqueue after the execution's row is committed: a worker that receives the
message before the commit would find nothing to claim.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from datetime import timedelta
from typing import Any

import dramatiq
import fakeredis
import redis
import redis.asyncio as aioredis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
)

log = logging.getLogger(__name__)

Broker = dramatiq.Broker
"""The broker type, for callers that must not import Dramatiq themselves."""

QUEUE = "executions"
"""Scheduled and manual runs of the free plan."""
PRIORITY_QUEUE = "executions.priority"
"""Test runs from the builder and every run of a paid plan: never stuck behind long free runs."""
ACTORS = {QUEUE: "run_execution", PRIORITY_QUEUE: "run_execution_priority"}
PROBE_ACTOR = "probe_selectors"
"""Selector probes for the builder, on the priority queue: a person is waiting for them."""

NAMESPACE = "dramatiq"
"""The prefix of the broker's Redis keys (Dramatiq's default, named so readers agree on it)."""
WORKERS_KEY = "trawler:workers"
"""A sorted set: each running worker process, scored by the Redis time of its last beat.
(Dramatiq's own `dramatiq:__heartbeats__` cannot count workers: every broker that sends a
message beats there too, the API's and the scheduler's included.)"""
WORKER_BEAT = timedelta(seconds=5)
"""How often a worker process beats."""
WORKER_ALIVE = timedelta(seconds=30)
"""A worker whose last beat is older than this is counted as gone."""


def queue_key(queue: str) -> str:
    """The Redis list of the message ids waiting in `queue` (the messages themselves are in the
    hash `<key>.msgs`; delayed ones wait in the queue `<queue>.DQ`, fetched ones are in none)."""
    return f"{NAMESPACE}:{queue}"


def make_broker(
    redis_url: str,
    *,
    redelivery_after: timedelta = timedelta(seconds=60),
    middleware: list[Middleware] | None = None,
) -> RedisBroker:
    """A Redis broker that knows both execution queues.

    Dramatiq's time limit is left out (the worker enforces each execution's own), and its
    retries are off: a failure is retried by the worker's own rules, not blindly.
    """
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        client=redis_sync(redis_url),
        namespace=NAMESPACE,
        heartbeat_timeout=int(redelivery_after.total_seconds() * 1000),
        middleware=[
            AgeLimit(),
            ShutdownNotifications(),
            Callbacks(),
            Pipelines(),
            Retries(max_retries=0),
            AsyncIO(),
            *(middleware or []),  # after AsyncIO: its event loop runs when they boot and stop
        ],
    )
    for queue in ACTORS:
        broker.declare_queue(queue)
    return broker


MEMORY = "memory://"
"""The Redis URL of the embedded mode: an in-process Redis (fakeredis, Lua included) shared
by every client of the process — the queue, live progress and rate limits all work the same."""

_servers: dict[str, fakeredis.FakeServer] = {}
_servers_lock = threading.Lock()


def _server(url: str) -> fakeredis.FakeServer:
    with _servers_lock:
        return _servers.setdefault(url, fakeredis.FakeServer())


TIMEOUTS: dict[str, Any] = {
    "socket_connect_timeout": 5,
    "socket_timeout": 10,
}
"""A Redis whose host is gone (no refusal, no answer) costs seconds, not the operating
system's minutes: connecting waits 5 s, an answer 10 s (longer than any blocking command
here asks for: a probe's BLPOP waits 1 s, a progress subscriber reads with its own timeout).
The URL's own options win (`redis://…?socket_timeout=30`)."""


def redis_sync(url: str) -> redis.Redis:
    """A blocking client for `url` (a `redis://` URL, or `memory://`)."""
    if url.startswith(MEMORY):
        return fakeredis.FakeRedis(server=_server(url))
    return redis.Redis.from_url(url, **TIMEOUTS)


def redis_async(url: str) -> aioredis.Redis:
    """An asyncio client for `url` (a `redis://` URL, or `memory://`)."""
    if url.startswith(MEMORY):
        return fakeredis.FakeAsyncRedis(server=_server(url))
    return aioredis.Redis.from_url(url, **TIMEOUTS)


def enqueue(
    broker: dramatiq.Broker,
    execution_id: uuid.UUID,
    *,
    priority: bool = False,
    delay: timedelta | None = None,
) -> None:
    """Send an execution to the workers; a duplicate message is harmless (the claim ignores it)."""
    queue = PRIORITY_QUEUE if priority else QUEUE
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name=queue,
        actor_name=ACTORS[queue],
        args=(str(execution_id),),
        kwargs={},
        options={},
    )
    broker.enqueue(message, delay=int(delay.total_seconds() * 1000) if delay else None)


async def send(
    broker: dramatiq.Broker,
    execution_id: uuid.UUID,
    *,
    priority: bool = False,
    delay: timedelta | None = None,
) -> bool:
    """`enqueue` without blocking the event loop, after the execution is committed. If Redis is
    down the execution stays queued in the database and the scheduler's requeue job sends it
    later, so a failure is logged, not raised; returns whether the message went out."""
    try:
        await asyncio.to_thread(enqueue, broker, execution_id, priority=priority, delay=delay)
    except Exception as exc:
        log.warning("execution %s not enqueued (sent again later): %s", execution_id, exc)
        return False
    return True


def probe_reply_key(probe_id: str) -> str:
    """The Redis list the worker pushes a probe's answer onto."""
    return f"trawler:probes:{probe_id}"


async def ask_probe(
    broker: dramatiq.Broker, client: aioredis.Redis, request: dict[str, Any], wait: timedelta
) -> dict[str, Any] | None:
    """Have a worker probe selectors on a page and wait for its answer; None after `wait`
    (the message expires with it, so no worker starts a probe nobody waits for)."""
    probe_id = uuid.uuid4().hex
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name=PRIORITY_QUEUE,
        actor_name=PROBE_ACTOR,
        args=(probe_id, request),
        kwargs={},
        options={"max_age": int(wait.total_seconds() * 1000)},
    )
    await asyncio.to_thread(broker.enqueue, message)
    deadline = asyncio.get_running_loop().time() + wait.total_seconds()
    # short blocking reads: no connection sits in one long read a timeout could cut
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        answer = await client.blpop([probe_reply_key(probe_id)], timeout=min(left, 1.0))
        if answer is not None:
            return dict(json.loads(answer[1]))
    return None


def progress_channel(execution_id: uuid.UUID) -> str:
    """The Redis pub/sub channel that carries an execution's live progress."""
    return f"trawler:executions:{execution_id}:progress"


def wants_priority(trigger: str, plan: str) -> bool:
    """Test runs from the builder and every paid plan's runs go to the priority queue."""
    return trigger == "test" or plan != "free"


def ping(broker: Broker) -> None:
    """Raise unless the broker's Redis answers (readiness checks)."""
    client = getattr(broker, "client", None)
    if client is not None:
        client.ping()
