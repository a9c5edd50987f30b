"""Leases on real Chromium: fair queues with time limits, isolation, pages sharing a context."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from browser_pool import BrowserPool, NoFreeBrowser, NoFreePage
from tests.browser_pool.conftest import process_of, until
from trawler.demo_site import DemoSite


async def test_runs_get_contexts_in_arrival_order_and_time_out() -> None:
    async with BrowserPool(browsers=2, max_contexts=1) as pool:
        served: list[tuple[str, int]] = []
        done = {name: asyncio.Event() for name in "ABCD"}

        async def run(name: str) -> None:
            async with pool.context() as lease:
                served.append((name, process_of(lease).pid))
                await done[name].wait()

        tasks = [asyncio.create_task(run(name)) for name in "AB"]
        await until(lambda: len(served) == 2)
        browser_of = dict(served)
        assert browser_of["A"] != browser_of["B"]  # one run per browser
        for queued, name in enumerate("CD", start=1):
            tasks.append(asyncio.create_task(run(name)))
            await until(lambda n=queued: pool.metrics().queue_length == n)  # type: ignore[misc]
        with pytest.raises(NoFreeBrowser, match=r"0.3 s: all 2 browser\(s\) hold their 1 context"):
            async with pool.context(wait=timedelta(seconds=0.3)):
                pass
        done["B"].set()
        await until(lambda: len(served) == 3)
        assert served[2] == ("C", browser_of["B"])  # the first in line, on the browser set free
        done["A"].set()
        await until(lambda: len(served) == 4)
        assert served[3] == ("D", browser_of["A"])
        done["C"].set()
        done["D"].set()
        await asyncio.gather(*tasks)
        metrics = pool.metrics()
        assert (metrics.lease_waits, metrics.lease_timeouts, metrics.queue_length) == (4, 1, 0)
        assert metrics.lease_wait_max_s > 0
        assert metrics.launches == 2


async def test_pages_wait_in_order_for_their_browser() -> None:
    async with BrowserPool(max_pages=2) as pool, pool.context() as lease:
        first, second = await lease.new_page(), await lease.new_page()
        waiting = []
        for queued in (1, 2):
            waiting.append(asyncio.create_task(lease.new_page()))
            await until(lambda n=queued: pool.metrics().page_waiters == n)  # type: ignore[misc]
        with pytest.raises(NoFreePage, match="all 2 pages of the run's browser"):
            await lease.new_page(timedelta(seconds=0.2))
        await lease.close_page(second)
        third = await asyncio.wait_for(waiting[0], 10)
        assert not waiting[1].done()
        await lease.close_page(first)
        fourth = await asyncio.wait_for(waiting[1], 10)
        assert not third.is_closed()
        assert not fourth.is_closed()
        assert pool.metrics().pages_in_use == 2
        assert pool.metrics().page_timeouts == 1


async def test_a_runs_pages_share_its_context_and_no_other(site: DemoSite) -> None:
    async with BrowserPool() as pool:
        async with pool.context() as first:
            page = await first.new_page()
            await page.goto(f"{site.base_url}/")
            await page.evaluate(
                "document.cookie = 'run=first; path=/'; localStorage.setItem('run', 'first')"
            )
            other = await first.new_page()
            await other.goto(f"{site.base_url}/shop")
            assert await other.evaluate("document.cookie") == "run=first"
            assert await other.evaluate("localStorage.getItem('run')") == "first"
            async with pool.context() as second:
                assert second.browser is first.browser  # same Chromium, separate context
                stranger = await second.new_page()
                await stranger.goto(f"{site.base_url}/")
                assert await stranger.evaluate("document.cookie") == ""
                assert await stranger.evaluate("localStorage.getItem('run')") is None
        async with pool.context() as later:
            assert await later.context.cookies() == []
        assert pool.launches == 1
        assert pool.metrics().contexts == 0
