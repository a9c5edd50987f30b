"""The browser pool's and the proxies' numbers, read from the running workers at scrape time.

The pool and the rotators live on the worker's event loop and are not made to be read from
another thread, so a scrape asks the loop for a snapshot (`BrowserPool.metrics()`,
`Rotators.health()`) and waits briefly; a loop too busy to answer leaves those series out of
that one scrape.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)

from browser_pool import PoolMetrics
from proxies import ProxyStats
from worker._runtime import Runtime

log = logging.getLogger(__name__)

RECYCLE_REASONS = ("pages", "memory", "context")
"""Why the pool retires a browser or renews a context: each has its series from the start."""
READ_WAIT = 2.0
"""Seconds a scrape waits for a worker's event loop to hand over its snapshot."""

Snapshot = tuple[PoolMetrics, list[tuple[str, ProxyStats]]]

_POOL_COUNTERS = {
    "lease_timeouts": "Runs that waited for a context in vain.",
    "page_timeouts": "Pages that waited for a slot on their browser in vain.",
    "launches": "Browsers launched.",
    "crashes": "Browsers that crashed.",
    "hangs": "Browsers killed because a page stopped answering.",
}
_POOL_GAUGES = {
    "contexts": "Browser contexts open (one per running execution).",
    "pages_in_use": "Pages open.",
    "queue_length": "Runs waiting for a browser context.",
    "page_waiters": "Pages waiting for a slot on their run's browser.",
}


class RuntimeCollector:
    """Yields the pool and proxy metrics of every worker runtime of the process it watches."""

    def __init__(self) -> None:
        self._watched: dict[int, tuple[Runtime, asyncio.AbstractEventLoop]] = {}
        self._lock = threading.Lock()

    def watch(self, runtime: Runtime, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._watched[id(runtime)] = (runtime, loop)

    def forget(self, runtime: Runtime) -> None:
        with self._lock:
            self._watched.pop(id(runtime), None)

    def describe(self) -> Iterable[Metric]:
        return list(_families([], []))

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            watched = list(self._watched.values())
        pools: list[PoolMetrics] = []
        health: list[tuple[str, ProxyStats]] = []
        for runtime, loop in watched:
            snapshot = _read(runtime, loop)
            if snapshot is not None:
                pools.append(snapshot[0])
                health.extend(snapshot[1])
        return list(_families(pools, health))


@functools.cache
def runtime_collector() -> RuntimeCollector:
    """The process's collector, in the default registry."""
    collector = RuntimeCollector()
    REGISTRY.register(collector)
    return collector


def _snapshot(runtime: Runtime) -> Snapshot:
    return runtime.pool.metrics(), runtime.rotators.health()


def _read(runtime: Runtime, loop: asyncio.AbstractEventLoop) -> Snapshot | None:
    try:
        if asyncio.get_running_loop() is loop:
            return _snapshot(runtime)
    except RuntimeError:
        pass  # no loop in this thread: ask the worker's
    done: concurrent.futures.Future[Snapshot] = concurrent.futures.Future()

    def read() -> None:
        try:
            done.set_result(_snapshot(runtime))
        except Exception as exc:
            done.set_exception(exc)

    try:
        loop.call_soon_threadsafe(read)
        return done.result(READ_WAIT)
    except Exception as exc:  # closed, or too busy: this scrape goes without
        log.warning("browser pool and proxy metrics not read: %r", exc)
        return None


def _families(pools: list[PoolMetrics], health: list[tuple[str, ProxyStats]]) -> Iterator[Metric]:
    browsers = GaugeMetricFamily(
        "trawler_browser_pool_browsers", "Browsers of the pool, by state.", labels=["state"]
    )
    for state in ("alive", "retiring", "launching"):
        if pools:
            browsers.add_metric([state], sum(getattr(p, f"browsers_{state}") for p in pools))
    yield browsers
    for name, text in _POOL_GAUGES.items():
        gauge = GaugeMetricFamily(f"trawler_browser_pool_{name}", text)
        if pools:
            gauge.add_metric([], sum(getattr(p, name) for p in pools))
        yield gauge
    for name, text in _POOL_COUNTERS.items():
        counter = CounterMetricFamily(f"trawler_browser_pool_{name}", text)
        if pools:
            counter.add_metric([], sum(getattr(p, name) for p in pools))
        yield counter
    waits = SummaryMetricFamily(
        "trawler_browser_pool_lease_wait_seconds",
        "Time runs waited for a browser context before they got one.",
    )
    recent = GaugeMetricFamily(
        "trawler_browser_pool_recent_lease_wait_seconds",
        "Percentiles of the last 512 waits for a context (the worst pool's).",
        labels=["quantile"],
    )
    recycles = CounterMetricFamily(
        "trawler_browser_pool_recycles",
        "Browsers retired and contexts renewed, by reason.",
        labels=["reason"],
    )
    if pools:
        waits.add_metric(
            [], sum(p.lease_waits for p in pools), sum(p.lease_wait_total_s for p in pools)
        )
        recent.add_metric(["0.5"], max(p.lease_wait_p50_s for p in pools))
        recent.add_metric(["0.95"], max(p.lease_wait_p95_s for p in pools))
        reasons: Counter[str] = Counter(dict.fromkeys(RECYCLE_REASONS, 0))
        for pool in pools:
            reasons.update(pool.recycles)
        for reason, count in sorted(reasons.items()):
            recycles.add_metric([reason], count)
    yield from (waits, recent, recycles)
    yield from _proxy_families(health)


def _proxy_families(health: list[tuple[str, ProxyStats]]) -> Iterator[Metric]:
    requests = CounterMetricFamily(
        "trawler_proxy_requests",
        "Requests through each proxy, by outcome (error: the proxy failed; blocked: the site "
        'refused it). Accounts\' own proxies are summed under proxy="account".',
        labels=["proxy", "outcome"],
    )
    states = GaugeMetricFamily(
        "trawler_proxies",
        "Proxies by state: ok, cooling (resting after failures) or disabled.",
        labels=["proxy", "state"],
    )
    outcomes: Counter[tuple[str, str]] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    now = datetime.now(UTC)
    for label, stats in health:
        outcomes[label, "success"] += stats.successes
        outcomes[label, "error"] += stats.failures
        outcomes[label, "blocked"] += stats.blocked
        cooling = stats.cooling_until is not None and stats.cooling_until > now
        for state, value in (
            ("disabled", stats.disabled),
            ("cooling", cooling and not stats.disabled),
            ("ok", not cooling and not stats.disabled),
        ):
            counts[label, state] += int(value)
    for (label, outcome), count in sorted(outcomes.items()):
        requests.add_metric([label, outcome], count)
    for (label, state), count in sorted(counts.items()):
        states.add_metric([label, state], count)
    yield requests
    yield states
