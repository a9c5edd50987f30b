"""Self-healing on real Chromium: a killed browser, a spinning page, a stopped renderer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import psutil
import pytest
from playwright.async_api import Page

import browser_pool._lease
from browser_pool import BrowserCrashed, BrowserPool, Lease
from tests.browser_pool.conftest import (
    exited,
    process_of,
    renderers,
    serves,
    until,
    watched_pool,
)
from trawler.demo_site import DemoSite

HANG_SEEN_WITHIN = 0.25 + 1 + 1.5  # interval + timeout + slack for a loaded 2-core machine


async def test_a_crash_fails_only_the_runs_on_that_browser(site: DemoSite) -> None:
    async with BrowserPool(browsers=2) as pool:
        leases: dict[str, Lease] = {}
        opened = {"victim": asyncio.Event(), "survivor": asyncio.Event()}
        killed, survivor_may_finish = asyncio.Event(), asyncio.Event()

        async def run(name: str) -> str:
            async with pool.context() as lease:
                page = await lease.new_page()
                await page.goto(f"{site.base_url}/")
                leases[name] = lease
                opened[name].set()
                await killed.wait()
                if name == "survivor":
                    await survivor_may_finish.wait()
                await page.goto(f"{site.base_url}/shop")
                return await page.title()

        victim = asyncio.create_task(run("victim"))
        await opened["victim"].wait()
        survivor = asyncio.create_task(run("survivor"))
        await opened["survivor"].wait()
        doomed = process_of(leases["victim"])
        assert doomed.pid != process_of(leases["survivor"]).pid
        helpers = doomed.children(recursive=True)
        doomed.kill()
        await until(lambda: leases["victim"].lost is not None)
        await exited(helpers)  # its renderers and zygotes went with it
        killed.set()
        with pytest.raises(BrowserCrashed):
            await victim
        # a new run gets a new browser while the survivor keeps its own
        replacement = await serves(pool, site)
        assert replacement not in (doomed.pid, process_of(leases["survivor"]).pid)
        survivor_may_finish.set()
        assert "Shop" in await survivor
        with pytest.raises(BrowserCrashed):
            await leases["victim"].new_page()
        metrics = pool.metrics()
        assert (metrics.crashes, metrics.hangs, metrics.launches) == (1, 0, 3)
        assert (metrics.browsers_alive, metrics.contexts, metrics.pages_in_use) == (2, 0, 0)


class Hang:
    """What `_hang_a_page` saw: how long the watchdog took, the processes it had to end."""

    def __init__(self) -> None:
        self.seen_after = 0.0
        self.processes: list[psutil.Process] = []


async def _hang_a_page(
    pool: BrowserPool,
    site: DemoSite,
    hang: Callable[[Page, psutil.Process], Awaitable[None]],
    record: Hang,
) -> None:
    """Open a page, make it hang, wait for the watchdog, then use the page (which raises)."""
    async with pool.context() as lease:
        page = await lease.new_page()
        await page.goto(f"{site.base_url}/")
        browser = process_of(lease)
        record.processes = [browser, *browser.children(recursive=True)]
        started = time.monotonic()
        await hang(page, browser)
        await until(lambda: lease.lost is not None, within=10)
        record.seen_after = time.monotonic() - started
        await exited(record.processes)
        await until(lambda: not lease.browser.connected)  # Playwright saw it go
        await page.title()  # the killed browser's error comes out as BrowserCrashed


async def _spin(page: Page, browser: psutil.Process) -> None:
    await page.evaluate("setTimeout(() => { for (;;) {} }, 0)")  # returns, then spins


async def _stop_renderers(page: Page, browser: psutil.Process) -> None:
    stopped = renderers(browser)
    assert stopped
    for renderer in stopped:
        renderer.suspend()  # SIGSTOP


@pytest.mark.parametrize("hang", [_spin, _stop_renderers], ids=["spinning", "stopped"])
async def test_a_page_that_stops_answering_is_a_hang(
    site: DemoSite, hang: Callable[[Page, psutil.Process], Awaitable[None]]
) -> None:
    async with watched_pool() as pool:
        record = Hang()
        try:
            with pytest.raises(BrowserCrashed, match="stopped answering"):
                await _hang_a_page(pool, site, hang, record)
        finally:
            for process in record.processes:  # only matters if the pool failed to end them
                try:
                    process.resume()
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
        assert record.seen_after < HANG_SEEN_WITHIN
        assert await serves(pool, site) != record.processes[0].pid
        metrics = pool.metrics()
        assert (metrics.hangs, metrics.crashes, metrics.launches) == (1, 0, 2)


async def test_a_page_we_wait_on_is_not_a_hang(site: DemoSite) -> None:
    async with watched_pool() as pool, pool.context() as lease:
        page = await lease.new_page()
        # the renderer is busy for 2 s while the document loads: twice the ping timeout
        await page.goto(f"{site.base_url}/lab/busy?ms=2000", wait_until="load")
        assert await page.text_content("#done") == "loaded"
        # a navigation that never finishes: the page answers from its current document
        endless = asyncio.create_task(page.goto(f"{site.base_url}/lab/slow", timeout=0))
        await asyncio.sleep(1.6)  # a whole ping cycle and more
        assert not endless.done()
        endless.cancel()
        assert lease.lost is None
        assert pool.metrics().hangs == 0


async def test_a_page_that_hangs_while_loading_is_a_hang_after_the_grace(
    site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_pool._lease, "NAVIGATION_GRACE", timedelta(seconds=0.5))
    async with watched_pool() as pool, pool.context() as lease:
        page = await lease.new_page()
        started = time.monotonic()
        # commits, then its script keeps the renderer busy for 20 s before the document loads
        await page.goto(f"{site.base_url}/lab/busy?ms=20000", wait_until="commit")
        await until(lambda: lease.lost is not None, within=10)
        assert time.monotonic() - started < HANG_SEEN_WITHIN + 0.5
        assert pool.metrics().hangs == 1


async def test_a_killed_driver_is_replaced_with_its_browsers(site: DemoSite) -> None:
    async with watched_pool() as pool:  # Playwright does not report this: the watchdog sees it
        async with pool.context() as lease:
            page = await lease.new_page()
            await page.goto(f"{site.base_url}/")
            browser = process_of(lease)
            driver = browser.parent()
            assert driver is not None
            family = [driver, browser, *browser.children(recursive=True)]
            driver.kill()
            await exited(family)  # a browser ends when its pipe to the driver closes
            await until(lambda: lease.lost is not None)
        assert await serves(pool, site) != browser.pid
        assert (pool.metrics().crashes, pool.launches) == (1, 2)
