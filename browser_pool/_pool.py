"""The pool: several Chromiums, one context per run, fair queues, recycling, self-healing.

Leases: a run waits in one first-come-first-served queue for a context on some browser (the
least busy; an empty browser slot is launched when every running browser already has a run),
and its context stays on that browser. Pages wait in the same queue for a slot on their run's
browser. A waiter is served by the first capacity it can use, in arrival order.

Recycling: a browser retires after `recycle_after_pages` pages or when its process tree
passes `max_memory_mb`; it takes no new context, finishes its runs, then closes, while a fresh
browser takes its slot at once. A run's context is renewed between pages after
`recycle_context_after_pages` documents (see `Lease._renew_if_due`).

Self-healing: a browser that disconnects (crashed, killed) or hangs (see `Watchdog`) is killed
with its whole process group and its slot relaunched on demand; only the runs on it get
`BrowserCrashed`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, Playwright, async_playwright

from browser_pool._browser import PooledBrowser
from browser_pool._discovery import find_chromium
from browser_pool._lease import Lease, Logger, PageSlot
from browser_pool._metrics import Counters, PoolMetrics
from browser_pool._options import ContextOptions, Rotation
from browser_pool._queue import LeaseQueue, Waiter
from browser_pool._watchdog import Watchdog
from browser_pool.errors import (
    BrowserCrashed,
    BrowserPoolError,
    ChromiumNotFound,
    NoFreeBrowser,
    NoFreePage,
)

logger = logging.getLogger(__name__)


def _ignore(level: str, message: str) -> None:
    return None


class _FreeSlots:
    """Free page slots of the pool as `_value`, like the semaphore older callers read."""

    def __init__(self, pool: BrowserPool) -> None:
        self._pool = pool

    @property
    def _value(self) -> int:
        return self._pool._free_pages()


class BrowserPool:
    """Launches Chromiums on demand, hands out one context per run, heals and recycles them.

    `max_pages` and `max_contexts` (default: `max_pages`) are per browser. `watchdog_timeout`
    None turns the hang check off; `max_memory_mb` and the recycle counts None turn those off.
    `sandbox` launches Chromium with its own sandbox (renderers in namespaces and seccomp); it
    needs a user other than root and a kernel that lets that user create user namespaces.
    """

    def __init__(
        self,
        *,
        headless: bool = True,
        executable: Path | None = None,
        max_pages: int = 8,
        launch_timeout: timedelta = timedelta(seconds=30),
        browsers: int = 1,
        max_contexts: int | None = None,
        recycle_after_pages: int | None = 500,
        recycle_context_after_pages: int | None = 150,
        max_memory_mb: int | None = 4096,
        watchdog_interval: timedelta = timedelta(seconds=5),
        watchdog_timeout: timedelta | None = timedelta(seconds=15),
        lease_timeout: timedelta = timedelta(minutes=2),
        close_timeout: timedelta = timedelta(seconds=5),
        sandbox: bool = False,
    ) -> None:
        if browsers < 1 or max_pages < 1:
            raise ValueError("a pool needs at least one browser and one page")
        if sandbox and os.geteuid() == 0:
            raise ValueError("Chromium's sandbox cannot run as root: run as another user")
        self.headless = headless
        self.sandbox = sandbox
        self.executable = executable
        self.launch_timeout = launch_timeout
        self.max_pages = max_pages
        self.browsers = browsers
        self.max_contexts = max_contexts or max_pages
        self.recycle_after_pages = recycle_after_pages
        self.recycle_context_after_pages = recycle_context_after_pages
        self.max_memory_mb = max_memory_mb
        self.watchdog_interval = watchdog_interval
        self.watchdog_timeout = watchdog_timeout
        self.lease_timeout = lease_timeout
        self.close_timeout = close_timeout
        self._slots: list[PooledBrowser | None] = [None] * browsers
        self._retiring: set[PooledBrowser] = set()
        self._queue = LeaseQueue(self._grant, self._give_back)
        self._tasks: set[asyncio.Task[None]] = set()
        self._playwright: Playwright | None = None
        self._lock = asyncio.Lock()
        self._watchdog: Watchdog | None = None
        self._closing = False
        self._counters = Counters()
        self._rotation = Rotation()

    async def __aenter__(self) -> BrowserPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def launches(self) -> int:
        """Browsers launched so far."""
        return self._counters.launches

    @property
    def slots(self) -> _FreeSlots:
        """Free page slots of the whole pool (kept for older callers; see `metrics()`)."""
        return _FreeSlots(self)

    def metrics(self) -> PoolMetrics:
        """A snapshot of what the pool holds now and has done so far."""
        browsers = self._all()
        return self._counters.snapshot(
            alive=sum(b.state == "alive" for b in browsers),
            retiring=len(self._retiring),
            launching=sum(b.state == "launching" for b in browsers),
            contexts=sum(len(b.leases) for b in browsers),
            pages=sum(b.pages for b in browsers),
            queue=self._queue.waiting(pages=False),
            page_waiters=self._queue.waiting(pages=True),
        )

    async def browser(self) -> Browser:
        """A running browser, launched on demand (the worker's start-up check)."""
        running = [b for b in self._slots if b is not None and b.state in ("launching", "alive")]
        if not running:
            if self._closing:
                raise BrowserCrashed("the browser pool is closing")
            running = [self._start_launch(self._slots.index(None))]
        chosen = min(running, key=lambda b: (b.state != "alive", b.contexts, b.index))
        await asyncio.shield(chosen.ready)
        assert chosen.browser is not None
        return chosen.browser

    @asynccontextmanager
    async def context(
        self,
        options: ContextOptions | None = None,
        log: Logger = _ignore,
        *,
        wait: timedelta | None = None,
    ) -> AsyncIterator[Lease]:
        """A fresh context for one run (cookies and storage never leak between runs), after a
        wait of at most `wait` (default: `lease_timeout`) in the queue.

        Raises `NoFreeBrowser` when the wait runs out; inside, an error caused by the loss of
        the browser comes out as `BrowserCrashed`.
        """
        options = options or ContextOptions()
        browser = await self._take_context_slot(self.lease_timeout if wait is None else wait)
        try:
            await asyncio.shield(browser.ready)
            lease = await self._open(browser, options, log)
        finally:
            browser.reserved -= 1
            self._released(browser)
        try:
            yield lease
        except Exception as exc:
            if lease.lost is not None and not isinstance(exc, BrowserPoolError):
                raise lease.crashed() from exc
            raise
        finally:
            try:
                await lease.close()
            finally:
                browser.leases.discard(lease)
                self._released(browser)

    async def _open(self, browser: PooledBrowser, options: ContextOptions, log: Logger) -> Lease:
        if browser.lost is not None or browser.browser is None:
            raise BrowserCrashed(str(browser.lost or "the browser is gone"))
        args = self._rotation.context_args(options, browser.version)
        try:
            context = await browser.browser.new_context(**args)
        except Exception as exc:
            if browser.lost is None and not browser.connected:
                self._disconnected(browser)  # its event may have been missed
            if browser.lost is not None:
                raise BrowserCrashed(f"the browser died while opening a context: {exc}") from exc
            raise
        lease = Lease(self, browser, context, options, log, args)
        browser.leases.add(lease)
        lease.lost = browser.lost
        try:
            await lease.answer_dialogs()
        except Exception as exc:
            browser.leases.discard(lease)
            await lease.close()
            if lease.lost is not None or not browser.connected:
                raise lease.crashed() from exc
            raise
        return lease

    def _grant(self, waiter: Waiter) -> PooledBrowser | None:
        if waiter.lease is None:
            return self._grant_context()
        browser = waiter.lease.browser
        if browser.state in ("alive", "retiring") and browser.pages < self.max_pages:
            browser.pages += 1
            return browser
        return None

    def _give_back(self, waiter: Waiter, browser: PooledBrowser) -> None:
        if waiter.lease is None:
            browser.reserved -= 1
            self._released(browser)
        else:
            self._release_page(browser)

    async def _take_context_slot(self, wait: timedelta) -> PooledBrowser:
        if self._closing:
            raise BrowserCrashed("the browser pool is closing")
        loop = asyncio.get_running_loop()
        since = loop.time()
        browser = await self._queue.wait(None, wait)
        if browser is None:
            self._counters.lease_timeouts += 1
            waiting = self._queue.waiting(pages=False)
            raise NoFreeBrowser(
                f"no free browser context within {wait.total_seconds():g} s: all {self.browsers} "
                f"browser(s) hold their {self.max_contexts} context(s) each "
                f"({waiting} more run(s) waiting)"
            )
        self._counters.waited(loop.time() - since)
        return browser

    async def _take_page_slot(self, lease: Lease, wait: timedelta | None) -> PageSlot:
        if lease.browser.pages >= self.max_pages:  # pages kept idle by any run go first
            for other in lease.browser.leases:
                if other.evict_idle():
                    break
        browser = await self._queue.wait(lease, wait)
        if browser is None:
            self._counters.page_timeouts += 1
            seconds = wait.total_seconds() if wait else 0
            raise NoFreePage(
                f"no free browser page within {seconds:g} s: all {self.max_pages} pages of the "
                f"run's browser are in use"
            )
        return PageSlot(lambda: self._release_page(browser))

    def _grant_context(self) -> PooledBrowser | None:
        if self._closing:
            return None
        usable = [
            b
            for b in self._slots
            if b is not None
            and b.state in ("launching", "alive")
            and b.contexts < self.max_contexts
        ]
        best = min(usable, key=lambda b: (b.contexts, b.pages, b.index), default=None)
        if (best is None or best.contexts > 0) and None in self._slots:
            best = self._start_launch(self._slots.index(None))
        if best is not None:
            best.reserved += 1
        return best

    def _page_wanted(self, browser: PooledBrowser) -> bool:
        return self._queue.wants_page(browser)

    def _release_page(self, browser: PooledBrowser) -> None:
        browser.pages -= 1
        self._queue.dispatch()

    def _page_opened(self, browser: PooledBrowser) -> None:
        browser.pages_opened += 1
        limit = self.recycle_after_pages
        if limit is not None and browser.pages_opened >= limit:
            self._retire(browser, "pages")

    def _released(self, browser: PooledBrowser) -> None:
        """A context of `browser` closed (or was never opened): close it if it retired."""
        if browser.state == "retiring" and browser.contexts == 0:
            browser.state = "closing"
            self._spawn(self._close_retired(browser))
        self._queue.dispatch()

    async def _close_retired(self, browser: PooledBrowser) -> None:
        try:
            await browser.close(self.close_timeout)
        finally:
            self._retiring.discard(browser)

    def _retire(self, browser: PooledBrowser, reason: str) -> None:
        """No new context for `browser`; it closes when its runs are done; a new one replaces it."""
        if browser.state != "alive":
            return
        browser.state = "retiring"
        self._vacate(browser)
        self._retiring.add(browser)
        self._counters.recycles[reason] += 1
        self._released(browser)

    def _vacate(self, browser: PooledBrowser) -> None:
        if self._slots[browser.index] is browser:
            self._slots[browser.index] = None

    def _start_launch(self, index: int) -> PooledBrowser:
        browser = PooledBrowser(index)
        browser.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._slots[index] = browser
        self._spawn(self._launch(browser))
        return browser

    async def _driver(self, replace: Playwright | None = None) -> Playwright:
        """Playwright's driver, started on first use, or anew in place of `replace`."""
        async with self._lock:
            if replace is not None and self._playwright is replace:
                with suppress(Exception):
                    await replace.stop()
                self._playwright = None
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            return self._playwright

    async def _launch(self, browser: PooledBrowser) -> None:
        try:
            executable = self.executable or find_chromium(self.headless)
            if executable is None:
                raise ChromiumNotFound()

            driver = await self._driver()
            try:
                await browser.launch(
                    driver, executable, self.headless, self.launch_timeout, self.sandbox
                )
            except Exception:
                if any(b.connected for b in self._running()):
                    raise
                # nothing of ours runs: the driver itself may be gone, so start a new one
                driver = await self._driver(replace=driver)
                await browser.launch(
                    driver, executable, self.headless, self.launch_timeout, self.sandbox
                )
        except BaseException as exc:
            browser.state = "dead"
            browser.kill()
            self._vacate(browser)
            browser.ready.set_exception(
                exc if isinstance(exc, Exception) else BrowserCrashed("the launch was cancelled")
            )
            self._queue.dispatch()
            raise
        assert browser.browser is not None
        browser.state = "alive"
        browser.browser.on("disconnected", lambda _: self._disconnected(browser))
        self._counters.launches += 1
        browser.ready.set_result(None)
        if self._watchdog is None and not self._closing:
            self._watchdog = Watchdog(self, self.watchdog_interval, self.watchdog_timeout)
        if not browser.connected:  # died before anyone listened
            self._disconnected(browser)
        self._queue.dispatch()

    def _disconnected(self, browser: PooledBrowser) -> None:
        if browser.state in ("alive", "retiring"):
            self._counters.crashes += 1
            logger.warning("browser %s crashed; its runs fail, a new one starts", browser.index)
            self._drop(browser, BrowserCrashed("the browser crashed: its process went away"))

    def _hung(self, browser: PooledBrowser, page: Page, seconds: float) -> None:
        """A page of `browser` gave no answer: kill the browser, fail only the runs on it."""
        if browser.state not in ("alive", "retiring"):
            return
        self._counters.hangs += 1
        message = (
            f"the browser stopped answering: a page ({page.url}) gave no sign of life for "
            f"{seconds:.1f} s, so the browser was killed"
        )
        logger.warning(message)
        self._drop(browser, BrowserCrashed(message))

    def _drop(self, browser: PooledBrowser, error: BrowserCrashed) -> None:
        browser.state, browser.lost = "dead", error
        self._vacate(browser)
        self._retiring.discard(browser)
        for lease in browser.leases:
            lease.lost = lease.lost or error
        self._queue.fail(
            lambda w: w.lease.crashed() if w.lease and w.lease.browser is browser else None
        )
        browser.kill()
        self._spawn(browser.close(self.close_timeout))  # lets Playwright let go of it too
        self._queue.dispatch()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.debug("pool task failed: %s", f"{error}".splitlines()[0])

    def _all(self) -> list[PooledBrowser]:
        return [b for b in self._slots if b is not None] + list(self._retiring)

    def _running(self) -> list[PooledBrowser]:
        return [b for b in self._all() if b.state in ("alive", "retiring")]

    def _free_pages(self) -> int:
        return sum(self.max_pages - (b.pages if b else 0) for b in self._slots)

    async def close(self) -> None:
        """Close every browser and the driver; no Chromium process is left behind, even when
        this is cancelled half-way. The pool launches again if used afterwards."""
        self._closing = True
        try:
            closed = "the browser pool closed"
            self._queue.fail(lambda waiter: BrowserCrashed(closed))
            await asyncio.gather(*self._tasks, return_exceptions=True)  # launches and closes
            if self._watchdog is not None:
                await self._watchdog.stop()
                self._watchdog = None
            browsers = self._all()
            for browser in browsers:
                browser.lost = browser.lost or BrowserCrashed(closed)
                if browser.state != "dead":
                    browser.state = "closing"
                for lease in browser.leases:
                    lease.lost = lease.lost or browser.lost
            await asyncio.gather(*(b.close(self.close_timeout) for b in browsers))
            async with self._lock:
                if self._playwright is not None:
                    await self._playwright.stop()
                    self._playwright = None
        finally:
            for browser in self._all():
                browser.kill()
            self._slots = [None] * self.browsers
            self._retiring.clear()
            self._closing = False
