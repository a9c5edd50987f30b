"""Leases on real Chromium: fair queues with time limits, isolation, pages sharing a context."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from browser_pool import BrowserPool, NoFreeBrowser, NoFreePage, _lease
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


async def test_a_page_request_cancelled_once_its_slot_came_gives_the_slot_back() -> None:
    """A for_each item cancelled (a cancel request, the time limit, a failing sibling) after
    the browser granted it a page slot, while another item was opening its page, frees the
    slot: kept, it would hold one of the browser's pages until the worker restarts."""
    async with BrowserPool(max_pages=1) as pool, pool.context() as lease:
        first = await lease.new_page()
        waiting = asyncio.create_task(lease.new_page())
        await until(lambda: pool.metrics().page_waiters == 1)
        async with lease._opening:  # another item is opening a page: the granted one waits
            await lease.close_page(first)  # someone waits: its slot goes to them
            await until(lambda: pool.metrics().page_waiters == 0)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        page = await lease.new_page(timedelta(seconds=2))
        assert not page.is_closed()


async def test_a_run_navigates_its_pages_again_rather_than_opening_new_ones(
    site: DemoSite,
) -> None:
    async with BrowserPool(max_pages=2) as pool, pool.context() as lease:
        first = await lease.new_page()
        await first.goto(f"{site.base_url}/shop")
        renderer = await first.evaluate("performance.timeOrigin")
        await lease.close_page(first)
        again = await lease.new_page()
        assert again is first  # kept open: the next load keeps its renderer process
        assert not again.is_closed()
        assert await again.evaluate("performance.timeOrigin") == renderer
        await again.goto(f"{site.base_url}/product/p001")
        await lease.close_page(again)
        assert pool.metrics().pages_in_use == 1  # an idle page still holds its slot


async def test_idle_pages_give_way_to_a_run_that_waits(site: DemoSite) -> None:
    async with (
        BrowserPool(max_pages=2, max_contexts=2) as pool,
        pool.context() as keeper,
        pool.context() as other,
    ):
        kept = [await keeper.new_page(), await keeper.new_page()]
        for page in kept:
            await keeper.close_page(page)  # both idle, both slots held
        assert pool.metrics().pages_in_use == 2
        page = await other.new_page(timedelta(seconds=5))  # one idle page is closed for it
        await page.goto(f"{site.base_url}/")
        await until(lambda: sum(p.is_closed() for p in kept) == 1)
        mine = await keeper.new_page()  # the idle one left
        assert mine in kept
        # a page given back while another run waits goes to that run, not to the idle list
        waiting = asyncio.create_task(other.new_page(timedelta(seconds=5)))
        await until(lambda: pool.metrics().page_waiters == 1)
        await keeper.close_page(mine)
        assert mine.is_closed()
        assert not (await waiting).is_closed()


async def test_a_page_is_closed_after_many_loads_and_the_context_still_renews(
    site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lease, "PAGE_LOADS", 3)
    async with BrowserPool(recycle_context_after_pages=4) as pool, pool.context() as lease:
        page = await lease.new_page()
        for _ in range(3):
            await page.goto(f"{site.base_url}/")
        await lease.close_page(page)
        assert page.is_closed()  # worn out: not kept
        page = await lease.new_page()
        await page.goto(f"{site.base_url}/shop")
        original = page.context
        await lease.close_page(page)
        assert not page.is_closed()  # kept idle, yet the renewal that is due closes it
        renewed = await lease.new_page()
        assert renewed.context is not original
        assert page.is_closed()
        assert lease.renewals == 1
