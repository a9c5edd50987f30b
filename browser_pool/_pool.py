"""A small pool: one Chromium per pool, one context per run, a bounded number of pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    Playwright,
    async_playwright,
)

from browser_pool._discovery import find_chromium
from browser_pool.errors import BrowserCrashed, ChromiumNotFound, NoFreePage

# flags that let Chromium run as root in a container with no network beyond what it is asked for
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

BLOCK_PATTERNS: dict[str, tuple[str, ...]] = {
    "images": ("*.png*", "*.jpg*", "*.jpeg*", "*.gif*", "*.webp*", "*.svg*", "*.ico*", "*.avif*"),
    "fonts": ("*.woff*", "*.woff2*", "*.ttf*", "*.otf*", "*.eot*"),
    "media": ("*.mp4*", "*.webm*", "*.mp3*", "*.ogg*", "*.wav*", "*.m4a*", "*.mov*"),
    "stylesheets": ("*.css*",),
}

# Chromium cannot answer a dialog of a document it is navigating away from: the dialog stays
# open, blocks the renderer, and the navigation never commits. Pages therefore get answers to
# alert/confirm/prompt without a real dialog (what accepting would give) and report them here.
DIALOG_BINDING = "__trawlerDialog"
DIALOG_SCRIPT = """(() => {
  const report = globalThis.__trawlerDialog;
  if (typeof report !== 'function') return;
  delete globalThis.__trawlerDialog;
  const answer = (type, value) => function (message) {
    report(type, String(message ?? '')).catch(() => {});
    return value;
  };
  window.alert = answer('alert', undefined);
  window.confirm = answer('confirm', true);
  window.prompt = answer('prompt', '');
})();"""

Logger = Callable[[str, str], None]
"""(level, message) — how the pool reports dialogs, pop-ups, downloads and page errors."""


def _ignore(level: str, message: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ContextOptions:
    """How one run's browser context looks to the sites it visits."""

    viewport: tuple[int, int] = (1280, 800)
    user_agent: str | None = None
    locale: str | None = None
    timezone: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    block: frozenset[str] = frozenset()
    proxy: str | None = None


CLOSE_TIMEOUT = timedelta(seconds=2)
"""How long closing a page may take; a normal close takes milliseconds."""


class _Slot:
    """One page's hold on the pool's page cap, released exactly once."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()


class Lease:
    """One run's browser context; pages opened here count against the pool's page cap."""

    def __init__(
        self, pool: BrowserPool, context: BrowserContext, options: ContextOptions, log: Logger
    ) -> None:
        self.pool, self.context, self.options, self.log = pool, context, options, log
        self.expecting_popups = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._dialogs = 0
        self._slots: dict[Page, _Slot] = {}
        context.on("page", self._on_page)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            self.log("debug", f"{error}".splitlines()[0])  # e.g. the page went away first

    def _on_page(self, page: Page) -> None:
        self._watch(page)
        if self.expecting_popups == 0:
            self._spawn(self._close_unwanted(page))

    async def _close_unwanted(self, page: Page) -> None:
        if await page.opener() is None:
            return  # a page we opened ourselves
        self.log("info", f"closed a pop-up: {page.url}")
        await page.close()

    def _watch(self, page: Page) -> None:
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.log("warning", f"page error: {error}"))
        page.on(
            "download",
            lambda d: self.log("info", f"download refused: {d.suggested_filename} from {d.url}"),
        )

    async def answer_dialogs(self) -> None:
        """Answer alert/confirm/prompt inside every page of the context (see DIALOG_SCRIPT)."""
        await self.context.expose_binding(
            DIALOG_BINDING, lambda source, kind, message: self._note_dialog(kind, message)
        )
        await self.context.add_init_script(DIALOG_SCRIPT)

    def _note_dialog(self, kind: str, message: str) -> None:
        self._dialogs += 1
        if self._dialogs <= 5:
            self.log("info", f"{kind} dialog accepted: {message[:200]!r}")
        elif self._dialogs in (6, 100, 1000):
            self.log("warning", f"{self._dialogs} dialogs so far; accepting them silently")

    def _on_dialog(self, dialog: Dialog) -> None:
        # the dialogs the page script does not answer, such as beforeunload
        self._note_dialog(dialog.type, dialog.message)
        self._spawn(dialog.accept(""))

    async def new_page(self, wait: timedelta | None = None) -> Page:
        """A new page in this context, waiting at most `wait` for a free slot (closing frees it)."""
        try:
            async with asyncio.timeout(wait.total_seconds() if wait else None):
                await self.pool.slots.acquire()
        except TimeoutError:
            raise NoFreePage(
                f"no free browser page within {wait.total_seconds() if wait else 0:g} s: all "
                f"{self.pool.max_pages} pages of the pool are in use"
            ) from None
        try:
            page = await self.context.new_page()
        except Exception:
            self.pool.slots.release()
            raise
        slot = _Slot(self.pool.slots)
        self._slots[page] = slot
        page.once("close", lambda _: slot.release())
        if self.options.block:
            patterns = [p for kind in sorted(self.options.block) for p in BLOCK_PATTERNS[kind]]
            # DevTools-level blocking: requests never reach the driver, unlike page.route
            session = await self.context.new_cdp_session(page)
            await session.send("Network.enable")
            await session.send("Network.setBlockedURLs", {"urls": patterns})
        return page

    async def close_page(self, page: Page) -> None:
        """Close a page and free its slot at once, even if Chromium is slow to confirm.

        After an aborted call (a node's time limit, a loop cancelling its other items)
        Playwright may never answer a close, so the slot does not wait for the answer, and a
        cancelled caller leaves the close to a background task; the context closes it at the end.
        """
        slot = self._slots.pop(page, None)
        if slot is not None:
            slot.release()
        if page.is_closed():
            return
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            self._spawn(self._close_bounded(page))
        else:
            await self._close_bounded(page)

    async def _close_bounded(self, page: Page) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT.total_seconds()):
                await page.close()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        try:
            await self.context.close()
        except Exception as exc:  # the browser may already be gone
            self.log("debug", f"context close: {exc}")


class BrowserPool:
    """Launches Chromium on first use, hands out one context per run, closes cleanly."""

    def __init__(
        self,
        *,
        headless: bool = True,
        executable: Path | None = None,
        max_pages: int = 8,
        launch_timeout: timedelta = timedelta(seconds=30),
    ) -> None:
        self.headless = headless
        self.executable = executable
        self.launch_timeout = launch_timeout
        self.max_pages = max_pages
        self.slots = asyncio.Semaphore(max_pages)
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._lock = asyncio.Lock()
        self.launches = 0

    async def __aenter__(self) -> BrowserPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def browser(self) -> Browser:
        """The running browser, launched (or relaunched after a crash) on demand."""
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            executable = self.executable or find_chromium(self.headless)
            if executable is None:
                raise ChromiumNotFound()
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=executable,
                headless=self.headless,
                args=list(LAUNCH_ARGS),
                timeout=self.launch_timeout.total_seconds() * 1000,
            )
            self.launches += 1
            return self._browser

    @asynccontextmanager
    async def context(
        self, options: ContextOptions | None = None, log: Logger = _ignore
    ) -> AsyncIterator[Lease]:
        """A fresh context for one run: cookies and storage never leak between runs."""
        options = options or ContextOptions()
        browser = await self.browser()
        try:
            context = await browser.new_context(
                viewport={"width": options.viewport[0], "height": options.viewport[1]},
                user_agent=options.user_agent,
                locale=options.locale,
                timezone_id=options.timezone,
                extra_http_headers=options.headers or None,
                accept_downloads=False,
                proxy={"server": options.proxy} if options.proxy else None,
            )
        except Exception as exc:
            if not browser.is_connected():
                raise BrowserCrashed(f"browser died while opening a context: {exc}") from exc
            raise
        lease = Lease(self, context, options, log)
        try:
            await lease.answer_dialogs()
            yield lease
        finally:
            await lease.close()

    async def close(self) -> None:
        """Close the browser and the driver; no Chromium process is left behind."""
        async with self._lock:
            if self._browser is not None:
                with suppress(Exception):  # already gone is fine
                    await self._browser.close()
                self._browser = None
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = None
