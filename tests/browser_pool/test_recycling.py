"""Recycling on real Chromium: browsers retire after N pages or over a memory limit, and a
long-lived context is renewed between pages."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from browser_pool import BrowserPool, ContextOptions
from tests.browser_pool.conftest import exited, process_of, serves, until
from trawler.demo_site import DemoSite


async def test_a_browser_retires_after_n_pages_and_a_fresh_one_serves(site: DemoSite) -> None:
    async with BrowserPool(recycle_after_pages=2) as pool:
        async with pool.context() as run:
            await run.new_page()
            page = await run.new_page()  # the second page: the browser retires
            old = process_of(run)
            metrics = pool.metrics()
            assert (metrics.browsers_retiring, metrics.recycles) == (1, {"pages": 1})
            fresh = await serves(pool, site)  # a new run gets a new browser at once
            assert fresh != old.pid
            await page.goto(f"{site.base_url}/shop")  # the retiring browser finishes its run
            extra = await run.new_page()  # and may still open pages for it
            assert extra.context is run.context
            assert old.is_running()
        await exited([old])  # it closed with its last run
        await until(lambda: pool.metrics().browsers_retiring == 0)
        assert pool.launches == 2


async def test_a_browser_over_its_memory_limit_retires(site: DemoSite) -> None:
    async with BrowserPool(max_memory_mb=1, watchdog_interval=timedelta(seconds=0.2)) as pool:
        async with pool.context() as run:
            page = await run.new_page()
            await page.goto(f"{site.base_url}/")
            old = process_of(run)
            await until(lambda: pool.metrics().browsers_retiring == 1, within=5)
            await page.goto(f"{site.base_url}/shop")  # its run goes on
        await exited([old])
        assert pool.metrics().recycles["memory"] >= 1
        assert await serves(pool, site) != old.pid


async def test_a_long_lived_context_is_renewed_between_pages(site: DemoSite) -> None:
    async with BrowserPool(recycle_context_after_pages=3) as pool, pool.context() as lease:
        page = await lease.new_page()
        await page.goto(f"{site.base_url}/")
        await page.evaluate("document.cookie = 'kept=yes; path=/'; localStorage.setItem('k', 'v')")
        for path in ("/shop", "/"):
            await page.goto(f"{site.base_url}{path}")
        original = page.context
        closed = asyncio.Event()
        original.once("close", lambda _: closed.set())
        second = await lease.new_page()
        assert second.context is original  # never while a page of the run is open
        await lease.close_page(page)
        await lease.close_page(second)
        renewed = await lease.new_page()
        assert renewed.context is not original
        assert lease.renewals == 1
        await renewed.goto(f"{site.base_url}/shop")
        assert await renewed.evaluate("document.cookie") == "kept=yes"
        assert await renewed.evaluate("localStorage.getItem('k')") == "v"
        assert pool.metrics().recycles == {"context": 1}
        await asyncio.wait_for(closed.wait(), 10)  # the old context was closed


@pytest.mark.parametrize("keep", ["renewable=False", "context taken"])
async def test_a_context_that_must_stay_is_never_renewed(site: DemoSite, keep: str) -> None:
    options = ContextOptions(renewable=keep != "renewable=False")
    async with BrowserPool(recycle_context_after_pages=1) as pool, pool.context(options) as lease:
        original = lease.context if keep == "context taken" else None  # e.g. to trace it
        pages = []
        for _ in range(3):
            page = await lease.new_page()
            await page.goto(f"{site.base_url}/")
            pages.append(page.context)
            await lease.close_page(page)
        assert len(set(map(id, pages))) == 1
        assert original in (None, pages[0])
        assert lease.renewals == 0
        assert pool.metrics().recycles == {}
