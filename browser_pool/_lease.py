"""One run's browser context: its pages, dialogs, pop-ups, and what the watchdog sees of them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from playwright.async_api import BrowserContext, Dialog, Frame, Page

from browser_pool._options import HIDE_WEBDRIVER_SCRIPT, ContextOptions, Dialogs
from browser_pool.errors import BrowserCrashed

if TYPE_CHECKING:
    from browser_pool._browser import PooledBrowser
    from browser_pool._pool import BrowserPool

# Chromium cannot answer a dialog of a document it is navigating away from: the dialog stays
# open, blocks the renderer, and the navigation never commits. Pages therefore get answers to
# alert/confirm/prompt without a real dialog (the answers of `ContextOptions.dialogs`, baked
# into a script every frame of every page runs first) and report them here.
DIALOG_BINDING = "__trawlerDialog"
_DIALOG_SCRIPT = """(() => {
  const report = globalThis.__trawlerDialog;
  if (typeof report !== 'function') return;
  delete globalThis.__trawlerDialog;
  const answer = (type, value) => function (message) {
    report(type, String(message ?? '')).catch(() => {});
    return value;
  };
  window.alert = answer('alert', undefined);
  window.confirm = answer('confirm', CONFIRM);
  window.prompt = answer('prompt', PROMPT);
})();"""


def dialog_script(dialogs: Dialogs) -> str:
    """The page script that answers alert/confirm/prompt as `dialogs` say."""
    return _DIALOG_SCRIPT.replace("CONFIRM", json.dumps(dialogs.confirm)).replace(
        "PROMPT", json.dumps(dialogs.prompt)
    )


Logger = Callable[[str, str], None]
"""(level, message) — how the pool reports dialogs, pop-ups, downloads and page errors."""

CLOSE_TIMEOUT = timedelta(seconds=2)
"""How long closing a page may take; a normal close takes milliseconds."""

CONTEXT_CLOSE_TIMEOUT = timedelta(seconds=10)
"""How long closing a context may take before the pool stops waiting for it."""

NAVIGATION_GRACE = timedelta(seconds=60)
"""How long a new document may keep its renderer too busy to answer the watchdog."""

IDLE_PAGES = 8
"""Pages a run keeps open for its next loads: a page navigated again keeps its renderer
process, which makes a same-site load about 1.7x cheaper than one in a new page."""

PAGE_LOADS = 100
"""Loads after which a page is closed rather than kept: a renderer grows with every document
it has shown, and a context renewal only happens once all of a run's pages are closed."""


class PageWatch:
    """What the watchdog knows of one page: when its current document arrived and loaded.

    A main-frame navigation commits a new document (`framenavigated`); its parsing and
    synchronous scripts run until `domcontentloaded`. In that window the renderer may be too
    busy to answer a ping while we are only waiting on the navigation, so a ping that times out
    then is excused, for at most NAVIGATION_GRACE (same-document navigations open the window
    without a `domcontentloaded` to close it; the grace bounds that too).
    """

    def __init__(self, page: Page, loaded: Callable[[], None]) -> None:
        self.page = page
        self.loading_since: float | None = None
        self.committed_at = 0.0
        self.pinging = False
        self.loads = 0
        self._loaded = loaded
        page.on("framenavigated", self._on_navigated)
        page.on("domcontentloaded", self._on_loaded)

    def _on_navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None:
            self.committed_at = asyncio.get_running_loop().time()
            self.loading_since = self.committed_at

    def _on_loaded(self, page: Page) -> None:
        self.loading_since = None
        self.loads += 1
        self._loaded()

    def excused(self, ping_started: float, now: float) -> bool:
        """Whether a ping that went unanswered may be the page's loading, not a hang."""
        if self.committed_at >= ping_started:
            return True  # a new document arrived while we asked
        since = self.loading_since
        return since is not None and now - since < NAVIGATION_GRACE.total_seconds()


class PageSlot:
    """One page's hold on its browser's page cap, given back exactly once."""

    def __init__(self, give_back: Callable[[], None]) -> None:
        self._give_back: Callable[[], None] | None = give_back

    def release(self) -> None:
        if self._give_back is not None:
            give_back, self._give_back = self._give_back, None
            give_back()


class Lease:
    """One run's browser context on one browser; its pages count against that browser's cap.

    The pool may renew the context between pages (see `_renew_if_due`) until someone outside
    takes hold of it by reading `context` (to trace, route or inspect it).
    """

    def __init__(
        self,
        pool: BrowserPool,
        browser: PooledBrowser,
        context: BrowserContext,
        options: ContextOptions,
        log: Logger,
        args: dict[str, Any],
    ) -> None:
        self.pool, self.browser, self._context = pool, browser, context
        self.options, self.log = options, log
        self.expecting_popups = 0
        self.lost: BrowserCrashed | None = None
        """Set when the browser under this context crashed, hung or was closed."""
        self.loads = 0
        """Documents loaded in the current context."""
        self.watches: dict[Page, PageWatch] = {}
        self.renewals = 0
        """How often the pool gave this run a fresh context."""
        self._held = False
        self._args = args
        self._tasks: set[asyncio.Task[None]] = set()
        self._dialogs = 0
        self._slots: dict[Page, PageSlot] = {}
        self._idle: list[Page] = []
        self._broken: set[Page] = set()
        self._opening = asyncio.Lock()
        context.on("page", self._on_page)

    @property
    def context(self) -> BrowserContext:
        """The run's Playwright context; from now on it is never swapped for a fresh one."""
        self._held = True
        return self._context

    def crashed(self) -> BrowserCrashed:
        """A fresh error for this lease's lost browser."""
        return BrowserCrashed(str(self.lost or "the browser is gone"))

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
        self.watches[page] = PageWatch(page, self._loaded)
        page.once("close", self._forget)
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.log("warning", f"page error: {error}"))
        page.on("crash", lambda crashed: self._broken.add(crashed))
        page.on(
            "download",
            lambda d: self.log("info", f"download refused: {d.suggested_filename} from {d.url}"),
        )

    def _forget(self, page: Page) -> None:
        self.watches.pop(page, None)
        self._broken.discard(page)

    def _loaded(self) -> None:
        self.loads += 1

    async def answer_dialogs(self) -> None:
        """Answer alert/confirm/prompt inside every page of the context (see `dialog_script`)."""
        await self._prepare(self._context)

    async def _prepare(self, context: BrowserContext) -> None:
        await context.expose_binding(
            DIALOG_BINDING, lambda source, kind, message: self._note_dialog(kind, message)
        )
        await context.add_init_script(dialog_script(self.options.dialogs))
        stealth = self.options.stealth
        if stealth is not None and stealth.hide_webdriver:
            await context.add_init_script(HIDE_WEBDRIVER_SCRIPT)

    def _note_dialog(self, kind: str, message: str) -> None:
        self._dialogs += 1
        if self._dialogs <= 5:
            self.log("info", f"{kind} dialog {self._answer(kind)}: {message[:200]!r}")
        elif self._dialogs in (6, 100, 1000):
            self.log("warning", f"{self._dialogs} dialogs so far; answering them silently")

    def _answer(self, kind: str) -> str:
        """How a dialog of this kind is answered, in words (never the prompt's text)."""
        dialogs = self.options.dialogs
        if (kind == "confirm" and not dialogs.confirm) or (
            kind == "prompt" and dialogs.prompt is None
        ):
            return "dismissed"
        return "accepted"

    def _on_dialog(self, dialog: Dialog) -> None:
        # the dialogs the page script does not answer, such as beforeunload (always accepted,
        # or the navigation would never leave) or one of a frame opened before the script ran
        self._note_dialog(dialog.type, dialog.message)
        if self._answer(dialog.type) == "dismissed":
            self._spawn(dialog.dismiss())
        else:
            prompt = self.options.dialogs.prompt if dialog.type == "prompt" else None
            self._spawn(dialog.accept(prompt or ""))

    async def new_page(self, wait: timedelta | None = None) -> Page:
        """A new page in this context, waiting at most `wait` (None: as long as it takes) for
        a free slot on the context's browser; closing the page frees it.

        Raises `NoFreePage` when the wait runs out and `BrowserCrashed` once the browser under
        the context is gone.
        """
        if self.lost is not None:
            raise self.crashed()
        # one at a time: a renewal must not close the context under a page being opened
        async with self._opening:
            await self._renew_if_due()
            if (page := await self._reuse()) is not None:
                return page
        slot = await self.pool._take_page_slot(self, wait)
        try:
            async with self._opening:
                if (page := await self._reuse()) is not None:  # one came back while we waited
                    slot.release()
                    return page
                page = await self._context.new_page()
        except BaseException as exc:  # cancelled too: a slot held by no page is lost for good
            slot.release()
            if isinstance(exc, Exception) and (self.lost is not None or not self.browser.connected):
                raise self.crashed() from exc
            raise
        self._slots[page] = slot
        page.once("close", lambda _: slot.release())
        self.pool._page_opened(self.browser)
        if self.options.block:
            # DevTools-level blocking: requests never reach the driver, unlike page.route
            session = await self._context.new_cdp_session(page)
            await session.send("Network.enable")
            await session.send("Network.setBlockedURLs", {"urls": self.options.block_patterns()})
        return page

    async def _reuse(self) -> Page | None:
        """An idle page of the run in a sound state, if there is one."""
        while self._idle:
            page = self._idle.pop()
            if not page.is_closed() and page not in self._broken:
                return page
            await self._discard(page)
        return None

    async def _renew_if_due(self) -> None:
        """Swap the context for a fresh one between pages once it has loaded enough documents,
        giving its renderers' memory back.

        Only when the run holds no page of the context, allows it (`renewable`) and nobody
        outside took the context object: cookies, localStorage and IndexedDB move over, and
        in-memory state was gone with the pages. A renewal that fails leaves the old context.
        """
        limit = self.pool.recycle_context_after_pages
        if not limit or self.loads < limit or not self.options.renewable or self._held:
            return
        if len(self._context.pages) > len(self._idle) or self.browser.browser is None:
            return  # a page is in use: not now
        while self._idle:
            await self._discard(self._idle.pop())
        try:
            state = await self._context.storage_state(indexed_db=True)
            fresh = await self.browser.browser.new_context(**self._args, storage_state=state)
            await self._prepare(fresh)
        except Exception as exc:
            if self.lost is not None or not self.browser.connected:
                raise self.crashed() from exc
            self.log("warning", f"context not renewed: {exc}".splitlines()[0])
            self.loads = 0
            return
        old, self._context, self.loads = self._context, fresh, 0
        fresh.on("page", self._on_page)
        self.renewals += 1
        self.pool._counters.recycles["context"] += 1
        self.pool._spawn(self._close_context(old))  # outlives the lease's own tasks

    async def close_page(self, page: Page) -> None:
        """Give a page back: kept open for the run's next `new_page` (see IDLE_PAGES) when it
        is one of ours and in a sound state, else closed (see `_discard`)."""
        task = asyncio.current_task()
        sound = not page.is_closed() and page not in self._broken and self.lost is None
        calm = task is None or not task.cancelling()  # a cancelled load may still be running
        watch = self.watches.get(page)
        fresh = watch is not None and watch.loads < PAGE_LOADS
        wanted = self.pool._page_wanted(self.browser)  # its slot goes to whoever waits
        room = len(self._idle) < IDLE_PAGES
        if page in self._slots and sound and calm and fresh and room and not wanted:
            self._idle.append(page)
            return
        await self._discard(page)

    def evict_idle(self) -> bool:
        """Close one idle page, its slot free at once; False if the run keeps none."""
        if not self._idle:
            return False
        page = self._idle.pop(0)
        slot = self._slots.pop(page, None)
        if slot is not None:
            slot.release()
        self._spawn(self._close_bounded(page))
        return True

    async def _discard(self, page: Page) -> None:
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

    async def _close_context(self, context: BrowserContext) -> None:
        try:
            async with asyncio.timeout(CONTEXT_CLOSE_TIMEOUT.total_seconds()):
                await context.close()
        except Exception as exc:  # the browser may already be gone
            self.log("debug", f"context close: {exc}".splitlines()[0])

    async def close(self) -> None:
        """Close the context and give back its page slots."""
        for task in list(self._tasks):
            task.cancel()
        for slot in self._slots.values():
            slot.release()
        self._slots.clear()
        if self.lost is None:
            await self._close_context(self._context)
