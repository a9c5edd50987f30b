"""Helpers for the pool tests: a pool's browser processes, waiting for a condition or an exit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

import psutil

from browser_pool import BrowserPool, Lease
from trawler.demo_site import DemoSite


def watched_pool() -> BrowserPool:
    """A pool whose watchdog sees a hang within about 1.25 s (interval + timeout)."""
    return BrowserPool(
        watchdog_interval=timedelta(seconds=0.25), watchdog_timeout=timedelta(seconds=1)
    )


async def serves(pool: BrowserPool, site: DemoSite) -> int:
    """Open a page in a new run; the pid of the browser that served it."""
    async with pool.context() as lease:
        page = await lease.new_page()
        await page.goto(f"{site.base_url}/")
        assert "Trawler Demo Shop" in await page.title()
        return process_of(lease).pid


def process_of(lease: Lease) -> psutil.Process:
    """The browser process under a lease."""
    process = lease.browser.process
    assert process is not None, "the pool did not find its browser's process"
    return process


def browser_pids(pool: BrowserPool) -> set[int]:
    """The browser processes the pool runs now (retiring ones included)."""
    return {b.process.pid for b in pool._all() if b.process is not None}


def renderers(process: psutil.Process) -> list[psutil.Process]:
    """The renderer processes of a browser."""
    found = []
    for child in process.children(recursive=True):
        try:
            if "--type=renderer" in child.cmdline():
                found.append(child)
        except psutil.Error:
            continue
    return found


async def until(check: Callable[[], bool], within: float = 10.0) -> float:
    """Poll `check` until it holds; the seconds it took. Fails after `within` seconds."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def exited(processes: list[psutil.Process], within: float = 10.0) -> None:
    """Wait until every process is gone (or a zombie); fail naming the survivors."""

    def gone(process: psutil.Process) -> bool:
        try:
            return process.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    try:
        await until(lambda: all(gone(p) for p in processes), within)
    except AssertionError:
        left = [p.pid for p in processes if not gone(p)]
        raise AssertionError(f"processes still running after {within} s: {left}") from None
