"""`trawler worker`: one Dramatiq worker process with its runtime, actors and signal handling."""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import redis.asyncio as aioredis
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware, MiddlewareError

import store
from browser_pool import BrowserPool
from engine import Models
from proxies import EgressProxy, NetworkPolicy, ProxySettings
from worker._collector import runtime_collector
from worker._config import WorkerSettings
from worker._execution import execute
from worker._metrics import execution_metrics, serve_metrics
from worker._presence import Presence
from worker._probe import answer_probe
from worker._proxies import Rotators
from worker._runtime import Runtime
from worker.dispatch import ACTORS, PRIORITY_QUEUE, PROBE_ACTOR, make_broker, redis_async

log = logging.getLogger(__name__)

# The longest a free worker thread waits for a consumer to fetch: an idle worker polls each
# queue this often (a few Redis commands a second), a busy one starts its next run this soon.
POLL_MS = 200


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs, built by the composition root from settings."""

    settings: WorkerSettings
    database_url: str
    redis_url: str
    artifacts: store.ArtifactStore
    pool: Callable[[], BrowserPool]
    policy: NetworkPolicy
    """What bots may reach: checked by the worker's egress proxy on every connection."""
    proxies: ProxySettings
    secrets: store.SecretBox
    models: Models = field(default_factory=Models)
    """The language models llm_extract nodes may ask."""
    plan_limits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Each plan's limits by name, for the monthly LLM token limit."""


class BootFailed(MiddlewareError):
    """The runtime could not be built (database, Redis or Chromium missing): the worker exits."""


class Boot(Middleware):
    """Builds the runtime on the event loop when the worker boots and closes it at shutdown.

    Placed after `AsyncIO` in the middleware list: "before" hooks run in list order and
    "after" hooks in reverse, so the event loop runs both when the runtime opens (before any
    message is taken) and when it closes.
    """

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self._runtime: Runtime | None = None
        self._presence: Presence | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("the worker has not booted")
        return self._runtime

    async def _open(self, broker: dramatiq.Broker) -> Runtime:
        """Check every dependency before the first message: the database and Redis answer,
        Chromium starts (so the first execution does not pay for the launch either)."""
        config = self.config
        db = store.Database(config.database_url)
        client = redis_async(config.redis_url)
        pool = config.pool()
        egress = EgressProxy(config.policy)
        presence = Presence(client)
        try:
            await db.ping()
            await client.ping()
            await _check_eviction(client)
            await pool.browser()
            await egress.start()
            await presence.start()
        except BaseException:
            await presence.stop()
            await egress.stop()
            await pool.close()
            await client.aclose()
            await db.dispose()
            raise
        self._presence = presence
        return Runtime(
            settings=config.settings,
            db=db,
            artifacts=config.artifacts,
            pool=pool,
            egress=egress,
            rotators=Rotators(config.proxies),
            secrets=config.secrets,
            models=config.models,
            plan_limits=config.plan_limits,
            redis=client,
            broker=broker,
        )

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        try:
            self._runtime = _loop().run_coroutine(self._open(broker))
        except Exception as exc:
            # Dramatiq only logs other errors here and would then take messages it cannot run
            raise BootFailed(f"the worker cannot start: {type(exc).__name__}: {exc}") from exc
        execution_metrics()  # its series exist (at zero) before the first execution ends
        runtime_collector().watch(self._runtime, _loop().loop)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # running executions hand themselves back to the queue rather than being lost
        if self._runtime is not None:
            loop = _loop().loop
            loop.call_soon_threadsafe(self._runtime.stopping.set)

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._runtime is not None:
            runtime_collector().forget(self._runtime)
            _loop().run_coroutine(self._close(self._runtime))

    async def _close(self, runtime: Runtime) -> None:
        if self._presence is not None:
            await self._presence.stop()
        await runtime.aclose()


async def _check_eviction(client: aioredis.Redis) -> None:
    """Warn when Redis may evict keys: an evicted key can be a queued execution's message."""
    try:
        policy = (await client.config_get("maxmemory-policy")).get("maxmemory-policy")
    except Exception as exc:
        log.info("could not read Redis maxmemory-policy: %s", exc)
        return
    if policy != "noeviction":
        log.warning(
            "Redis maxmemory-policy is %r: queued executions can be evicted; set noeviction",
            policy,
        )


def _loop() -> dramatiq.asyncio.EventLoopThread:
    thread = get_event_loop_thread()
    if thread is None:
        raise RuntimeError("the AsyncIO middleware has not started its event loop")
    return thread


def declare_actors(broker: dramatiq.Broker, boot: Boot) -> None:
    """`run_execution` on each queue; the priority one is also served first by a busy worker."""
    for queue, name in ACTORS.items():
        priority = queue == PRIORITY_QUEUE

        async def run_execution(execution_id: str, *, _priority: bool = priority) -> None:
            await execute(boot.runtime, uuid.UUID(execution_id), priority=_priority)

        dramatiq.actor(
            broker=broker,
            actor_name=name,
            queue_name=queue,
            priority=0 if priority else 10,
            max_retries=0,
        )(run_execution)

    async def probe_selectors(probe_id: str, request: dict[str, Any]) -> None:
        await answer_probe(boot.runtime, probe_id, request)

    dramatiq.actor(
        broker=broker,
        actor_name=PROBE_ACTOR,
        queue_name=PRIORITY_QUEUE,
        priority=0,
        max_retries=0,
    )(probe_selectors)


def start_worker(config: WorkerConfig) -> Callable[[], None]:
    """Start consuming in background threads; returns the function that stops it (running
    executions are handed back to the queue). Exits the process if the worker cannot boot."""
    boot = Boot(config)
    broker = make_broker(
        config.redis_url, redelivery_after=config.settings.redelivery_after, middleware=[boot]
    )
    declare_actors(broker, boot)
    threads = config.settings.threads
    worker = dramatiq.Worker(
        broker,
        queues=set(config.settings.queues) or None,
        worker_threads=threads,
        # a consumer whose prefetch is full sleeps with a growing backoff up to this long
        # before it looks again: kept short, a freed thread gets its next message soon
        worker_timeout=POLL_MS,
    )
    # a browser run is long: take no more messages than there are threads to run them
    worker.queue_prefetch = threads
    try:
        worker.start()
    except BootFailed as exc:
        log.critical("%s", exc)
        worker.stop(timeout=1000)
        broker.close()
        raise SystemExit(1) from exc
    log.info("worker started: %d threads, queues %s", threads, sorted(worker.consumers))

    def stop() -> None:
        log.info("worker stopping")
        worker.stop(timeout=int(config.settings.lease.total_seconds() * 1000))
        broker.close()

    return stop


def run_worker(config: WorkerConfig) -> None:
    """`trawler worker`: consume executions until SIGTERM or SIGINT, then hand running ones
    back and stop."""
    signalled = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: signalled.set())
    stop = start_worker(config)
    stop_metrics = serve_metrics(config.settings.metrics_host, config.settings.metrics_port)
    signalled.wait()
    stop_metrics()
    stop()
