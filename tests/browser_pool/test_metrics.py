"""The pool's metrics after a known sequence of runs, pages, a wait and a recycle."""

from __future__ import annotations

import asyncio

from browser_pool import BrowserPool, PoolMetrics
from tests.browser_pool.conftest import until


async def test_metrics_follow_a_known_sequence() -> None:
    async with BrowserPool(browsers=2, max_contexts=1, recycle_after_pages=3) as pool:
        assert pool.metrics() == PoolMetrics(
            browsers_alive=0, browsers_retiring=0, browsers_launching=0, contexts=0,
            pages_in_use=0, queue_length=0, page_waiters=0, lease_waits=0,
            lease_wait_total_s=0.0, lease_wait_max_s=0.0, lease_wait_p50_s=0.0,
            lease_wait_p95_s=0.0, lease_timeouts=0, page_timeouts=0, launches=0, crashes=0,
            hangs=0, recycles={},
        )  # fmt: skip
        third_served, third_done = asyncio.Event(), asyncio.Event()

        async def third_run() -> None:
            async with pool.context() as lease:
                await lease.new_page()
                third_served.set()
                await third_done.wait()

        async with pool.context() as first:
            await first.new_page()
            await first.new_page()
            async with pool.context() as second:
                await second.new_page()
                waiting = asyncio.create_task(third_run())
                await until(lambda: pool.metrics().queue_length == 1)
                now = pool.metrics()
                assert (now.browsers_alive, now.contexts, now.pages_in_use) == (2, 2, 3)
                assert (now.launches, now.lease_waits, now.queue_length) == (2, 2, 1)
            await third_served.wait()  # it took the second run's place
            await first.new_page()  # the first browser's third page: it retires
            now = pool.metrics()
            assert (now.browsers_alive, now.browsers_retiring, now.contexts) == (1, 1, 2)
            assert now.recycles == {"pages": 1}
        await until(lambda: pool.metrics().browsers_retiring == 0)  # closed after its run
        third_done.set()
        await waiting
        done = pool.metrics()
        assert (done.browsers_alive, done.contexts, done.pages_in_use) == (1, 0, 0)
        assert (done.lease_waits, done.lease_timeouts, done.launches) == (3, 0, 2)
        assert (done.crashes, done.hangs, done.recycles) == (0, 0, {"pages": 1})
        assert done.lease_wait_max_s >= done.lease_wait_p95_s >= done.lease_wait_p50_s >= 0
        assert done.lease_wait_max_s > 0.0  # the third run waited
        assert done.lease_wait_total_s >= done.lease_wait_max_s
