"""The pool's watchdog: every interval, the memory of each browser and a ping to each page.

Hang rule: a page answers `page.title()` within `timeout`, or its browser is treated
as hung (killed and replaced; its runs get `BrowserCrashed`). Every open page of the pool is
asked, one question at a time: a page that we wait on for a long navigation still answers from
its current document, since the network wait happens outside its renderer. Two cases are
excused (see `PageWatch`): a new document arrived while we asked, or the page is
between the commit of a document and its `domcontentloaded` (parsing and synchronous scripts),
for at most `NAVIGATION_GRACE`. A hang is therefore seen within interval + timeout, or
interval + timeout + grace when the page hangs while it loads a document.

The question is the title: it needs the page's main thread like any script, but Playwright
takes no DOM snapshot for it in a traced run (it would for each `evaluate`); the trace still
lists the calls.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from browser_pool._lease import PageWatch

if TYPE_CHECKING:
    from browser_pool._browser import PooledBrowser
    from browser_pool._pool import BrowserPool

log = logging.getLogger(__name__)


class Watchdog:
    """Runs while the pool has browsers; `stop()` ends it and its pings."""

    def __init__(self, pool: BrowserPool, interval: timedelta, timeout: timedelta | None) -> None:
        self.pool = pool
        self.interval = interval.total_seconds()
        self.timeout = timeout.total_seconds() if timeout else None
        self._pings: set[asyncio.Task[None]] = set()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        tasks = [self._task, *self._pings]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            browsers = self.pool._running()
            try:
                await self._check_processes(browsers)
            except Exception as exc:  # psutil trouble must not stop the pings
                log.warning("process check failed: %s", exc)
            if self.timeout is not None:
                self._ping_pages(self.pool._running())

    async def _check_processes(self, browsers: list[PooledBrowser]) -> None:
        """Drop browsers whose process is gone, retire those over the memory limit."""
        # sampling also refreshes each browser's process list, which a later kill relies on
        found = await asyncio.to_thread(lambda: [(b.exited(), b.memory_mb()) for b in browsers])
        limit = self.pool.max_memory_mb
        for browser, (exited, size) in zip(browsers, found, strict=True):
            if exited:
                self.pool._disconnected(browser)
            elif limit is not None and size > limit and browser.state == "alive":
                log.info("browser %s uses %.0f MB (limit %s): retiring", browser.index, size, limit)
                self.pool._retire(browser, "memory")

    def _ping_pages(self, browsers: list[PooledBrowser]) -> None:
        for browser in browsers:
            for lease in list(browser.leases):
                for watch in list(lease.watches.values()):
                    if not watch.pinging and not watch.page.is_closed():
                        watch.pinging = True
                        task = asyncio.ensure_future(self._ping(browser, watch))
                        self._pings.add(task)
                        task.add_done_callback(self._pings.discard)

    async def _ping(self, browser: PooledBrowser, watch: PageWatch) -> None:
        assert self.timeout is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(self.timeout):
                await watch.page.title()
        except TimeoutError:
            now = loop.time()
            if watch.page.is_closed() or watch.excused(started, now):
                return
            self.pool._hung(browser, watch.page, now - started)
        except Exception:  # closed, navigated away, browser gone: an answer all the same
            return
        finally:
            watch.pinging = False
