"""What a node sees while it runs: its page, variables, and ways to emit rows and logs."""

from __future__ import annotations

import asyncio
from collections import ChainMap
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame
from playwright.async_api import Page as PlaywrightPage

from engine import frames, stalls
from engine._credentials import explain_unauthorized
from engine._html import html_of
from engine.errors import NavigationError, NeedsBrowser, Refused, StepError
from engine.events import LlmUsage, LogLevel
from engine.extract import Document
from engine.network import check_url, explain_load
from engine.offload import off_loop
from engine.page import BrowserPage, HttpPage, Page, ScreenshotArea, WaitUntil
from engine.selectors import playwright_selector
from proxies import Outcome

if TYPE_CHECKING:
    from playwright._impl._async_base import AsyncEventInfo

    from engine.runner import Run
    from engine.workflow import BotSettings

T = TypeVar("T")


INTERRUPTED_RETRIES = 4
"""Loads after a stall cut short by the navigation the stall left pending, before giving up."""
TRANSIENT_BACKOFF = 1.0
"""Seconds before loading a page again after a transient failure; doubles each time."""
RETRY_AFTER_CAP = 60.0
"""The longest wait before loading again, whatever Retry-After asks."""


@dataclass
class Scope:
    """One branch of the flow: its page, its row under construction, its loop variables."""

    page: Page | None
    variables: ChainMap[str, Any]
    parent: Scope | None = None
    record: dict[str, Any] = field(default_factory=dict)
    record_touched: bool = False
    listed: bool = False
    buffered: bool = False
    stop: frozenset[str] = frozenset()
    """Loops whose body this branch is in: an edge back to one ends the pass."""
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class BranchResult:
    rows: list[dict[str, Any]]
    skipped: bool = False
    unopened: bool = False
    """Skipped because its page did not load."""


@dataclass(frozen=True)
class NodeContext:
    """Handed to a node's `run`; its side effects go through the run's sink."""

    run: Run
    scope: Scope
    node_id: str
    node_type: str
    step: int
    notes: StepNotes

    @property
    def settings(self) -> BotSettings:
        return self.run.workflow.settings

    @property
    def variables(self) -> Mapping[str, Any]:
        return self.scope.variables

    def set_variable(self, name: str, value: Any) -> None:
        """Set a variable for the rest of this branch (a loop item's own, or the whole run's)."""
        self.scope.variables.maps[0][name] = value

    @property
    def page(self) -> Page:
        if self.scope.page is None:
            raise StepError("no page is open yet: start the flow with a navigate node")
        return self.scope.page

    def log(self, level: LogLevel, message: str) -> None:
        self.run.log(level, message, self.node_id, self.step)

    def note(self, message: str) -> None:
        """Log `message` and say it on the step's line and in the replay."""
        self.notes.said.append(message)
        self.log("info", message)

    async def off_loop(self, work: Callable[[], T]) -> T:
        """Run pure work (extraction, transforms, the bot's patterns) in an extraction thread,
        each pattern limited by `timeouts.pattern_ms`: other runs' steps go on meanwhile."""
        limit = timedelta(milliseconds=self.settings.timeouts.pattern_ms)
        return await off_loop(work, pattern_limit=limit)

    def note_selector(self, selector: str) -> None:
        self.notes.selectors.append(selector)

    def attach_screenshot(self, image: bytes, area: ScreenshotArea = "viewport") -> None:
        """Make `image` the step's screenshot; `area` says what it shows, for highlights."""
        self.notes.screenshot = image
        self.notes.screenshot_area = area

    def absolute_url(self, href: str) -> str:
        base = self.scope.page.url if self.scope.page else ""
        return urljoin(base, href)

    locator_selector = staticmethod(playwright_selector)

    async def goto(self, url: str, *, wait_until: WaitUntil = "load") -> None:
        """Load a URL in this branch's page (opening one first if needed); counts a page."""
        url = self.absolute_url(url)
        check_url(self.run.traffic.network.policy, url)
        async with self.loading_page():
            page = self.scope.page
            if page is None or (self.run.renderers.mode == "browser" and page.renderer == "http"):
                self.scope.page = page = await self.run.renderers.open_page()
            await self._load(page, url, wait_until)

    async def fetch_ahead(self, url: str) -> Page:
        """Load a URL over HTTP in a page of its own, while this branch goes on with its page;
        counts a page. The caller makes it the branch's page when it gets there."""
        url = self.absolute_url(url)
        check_url(self.run.traffic.network.policy, url)
        async with self.loading_page():
            page = HttpPage(await self.run.renderers.client())
            await self._load(page, url, "load")
        return page

    async def _load(self, page: Page, url: str, wait_until: WaitUntil) -> None:
        traffic = self.run.traffic
        timeout_ms = self.settings.timeouts.navigation_ms
        tries = 1 + self.settings.transient_retries
        for attempt in range(1, tries + 1):
            mark = traffic.not_sent
            try:
                status = await self._goto(page, url, wait_until, timeout_ms)
                break
            except NavigationError as exc:
                explained = explain_load(exc, url, traffic.since(mark))
                if explained is not exc:
                    raise explained from exc
                if exc.status is not None:  # the site answered: a 403 or 429 is a block
                    traffic.served(page.url, exc.status)
                if not exc.transient or attempt == tries:
                    if attempt > 1:
                        self.note(f"gave up on {url} after {attempt} loads")
                    credentials = self.run.renderers.settings.http_credentials
                    unauthorized = explain_unauthorized(exc, page.url, credentials)
                    if unauthorized is not exc:
                        raise unauthorized from exc
                    raise
                wait = exc.retry_after
                if wait is None:
                    wait = TRANSIENT_BACKOFF * 2 ** (attempt - 1)
                delay = min(RETRY_AFTER_CAP, wait)
                self.log(
                    "warning", f"{exc}; loading it again in {delay:g} s ({attempt + 1}/{tries})"
                )
                await asyncio.sleep(delay)
        if attempt > 1:
            self.note(f"loaded {url} on attempt {attempt} of {tries}")
        if traffic.proxy_for(page.url) is not None:  # a challenge page blocks a proxy too
            outcome = traffic.served(page.url, status or 200, await page.content())
            if outcome is Outcome.BLOCKED:
                proxy = traffic.proxy_for(page.url)
                self.log("warning", f"{page.url} looks like a challenge page; {proxy} rests")

    async def _goto(
        self, page: Page, url: str, wait_until: WaitUntil, timeout_ms: int
    ) -> int | None:
        """`page.goto`, once more if it failed while the event loop was stalled (no answer was
        read, no request forwarded: the page was not to blame)."""
        started = stalls.now()
        try:
            return await page.goto(url, wait_until=wait_until, timeout_ms=timeout_ms)
        except NavigationError as exc:
            stalled = stalls.stalled(started)
            if isinstance(exc, Refused) or stalled < stalls.STALL:
                raise
            self.log("warning", f"{exc}, while the worker was stalled {stalled:.0f} s: once more")
        # Playwright's timeout does not stop Chromium's navigation: the one the stall left
        # pending may commit over the retry ("interrupted by another navigation"), so the retry
        # goes again, a moment later, until that one has gone through
        for _ in range(INTERRUPTED_RETRIES):
            try:
                return await page.goto(url, wait_until=wait_until, timeout_ms=timeout_ms)
            except NavigationError as exc:
                if "interrupted by another navigation" not in str(exc):
                    raise
            await asyncio.sleep(0.25)
        return await page.goto(url, wait_until=wait_until, timeout_ms=timeout_ms)

    async def _switch_to_browser(self, reason: str) -> None:
        """Auto renderer: this branch's page, and the rest of the run, go to the browser."""
        self.note(f"switched to the browser: {reason}")
        await self.run.switch_to_browser(self.scope)

    @asynccontextmanager
    async def loading_page(self) -> AsyncIterator[None]:
        """Around whatever loads a new page: refused past max_pages, counted once it loaded."""
        self.run.check_page_limit()
        self.run.loading += 1  # counts against max_pages now: concurrent loads cannot all pass it
        try:
            yield
        finally:
            self.run.loading -= 1
        self.run.pages += 1

    async def browser_page(self) -> PlaywrightPage:
        """The Playwright page; in auto mode a static page is re-opened in the browser."""
        page = self.page
        if isinstance(page, BrowserPage):
            return page.page
        if self.settings.renderer == "http":
            raise NeedsBrowser(f"{self.node_type} needs the browser; the bot's renderer is 'http'")
        await self._switch_to_browser(f"{self.node_type} node needs the browser")
        assert isinstance(self.scope.page, BrowserPage)
        return self.scope.page.page

    async def target(self, frame: Sequence[str] = ()) -> PlaywrightPage | Frame:
        """Where a browser node acts: the page, or the frame its `frame` field names (its
        elements waited for up to `timeouts.action_ms`)."""
        page = await self.browser_page()
        if not frame:
            return page
        return await self._enter(page, frame, self.settings.timeouts.action_ms)

    async def _enter(self, page: PlaywrightPage, frame: Sequence[str], wait_ms: int) -> Frame:
        self.notes.framed = True
        timeouts = self.settings.timeouts
        return await frames.enter(page, frame, wait_ms=wait_ms, load_ms=timeouts.navigation_ms)

    async def document(
        self, expect: str = "", *, required: bool = False, frame: Sequence[str] = ()
    ) -> Document:
        """The current page's HTML (or its frame's, with `frame`), parsed once; waits briefly
        for `expect` to appear."""
        if frame:
            return await self._frame_document(expect, required, frame)
        page = self.page
        html = await page.content()
        doc = Document(html, page.url)
        # a static page has nothing to wait for; whoever reads it reports what is missing
        if not expect or (not required and self.settings.renderer == "http"):
            return doc
        if doc.count(expect) > 0:
            return doc
        if page.renderer == "http":
            if self.settings.renderer == "auto" and "<script" in html.lower():
                await self._switch_to_browser(
                    f"{expect!r} is not in the static HTML, which has scripts"
                )
                return await self.document(expect, required=required)
        elif isinstance(page, BrowserPage) and await self._appeared(page.page, expect):
            doc = Document(await page.content(), page.url)
        if required and doc.count(expect) == 0:
            raise StepError(f"selector {expect!r} matched nothing on {page.url}")
        return doc

    async def _frame_document(self, expect: str, required: bool, path: Sequence[str]) -> Document:
        """A frame's HTML, its links resolved against the frame's URL; waits for the frame's
        elements, then for `expect`, up to `timeouts.selector_ms` each."""
        page = await self.browser_page()
        frame = await self._enter(page, path, self.settings.timeouts.selector_ms)
        doc = Document(await html_of(frame), frames.base_url(frame))
        if expect and doc.count(expect) == 0 and await self._appeared(frame, expect):
            doc = Document(await html_of(frame), frames.base_url(frame))
        if required and expect and doc.count(expect) == 0:
            where = f"in frame {frame.url} on {page.url}"
            raise StepError(f"selector {expect!r} matched nothing {where}")
        return doc

    async def _appeared(self, target: PlaywrightPage | Frame, expect: str) -> bool:
        """Whether `expect` appeared in the browser within `timeouts.selector_ms`."""
        if self.settings.timeouts.selector_ms <= 0:
            return False
        try:
            await target.locator(self.locator_selector(expect)).first.wait_for(
                state="attached", timeout=self.settings.timeouts.selector_ms
            )
        except PlaywrightError:
            return False  # absence is an answer: the caller reports it
        return True

    async def wait_for_change(self, before: str) -> None:
        """After a click that re-renders in place: wait until the HTML (`page.content()`, shadow
        roots included) differs, then settles."""
        page = await self.browser_page()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.timeouts.action_ms / 1000
        last = before
        while loop.time() < deadline:
            await asyncio.sleep(0.1)
            try:
                await page.wait_for_load_state("load", timeout=self.settings.timeouts.action_ms)
                current = await html_of(page)
            except PlaywrightError:
                continue  # the page is navigating; ask again
            if current == last and current != before:
                return  # changed, and unchanged since the previous look: settled
            last = current
        if last == before:
            raise StepError(f"the page did not change within {self.settings.timeouts.action_ms} ms")

    @asynccontextmanager
    async def expect_popup(self) -> AsyncIterator[AsyncEventInfo[PlaywrightPage]]:
        page = await self.browser_page()
        lease = await self.run.renderers.lease()
        lease.expecting_popups += 1
        try:
            async with page.expect_popup(timeout=self.settings.timeouts.action_ms) as popup:
                yield popup
        finally:
            lease.expecting_popups -= 1

    async def adopt_page(self, page: PlaywrightPage) -> None:
        """Continue this branch in a pop-up."""
        await page.wait_for_load_state("load", timeout=self.settings.timeouts.navigation_ms)
        self.scope.page = BrowserPage(page, (await self.run.renderers.lease()).close_page)

    def merge_record(self, fields: Mapping[str, Any]) -> None:
        """Add fields to this branch's row; it is emitted when the branch ends."""
        self.scope.record.update(fields)
        self.scope.record_touched = True
        self.scope.listed = False  # read after rows went out: the record still makes a row

    async def emit_rows(self, rows: list[dict[str, Any]]) -> None:
        """Emit rows now (merged with this branch's row so far)."""
        if not rows:
            return
        self.scope.listed = True
        base = self.scope.record
        self.notes.emitted = True  # before: an emit interrupted may have sent some
        await self.run.emit_rows(
            self.scope, [{**base, **row} for row in rows], self.node_id, self.step
        )

    async def run_branch(
        self,
        handle: str,
        *,
        url: str | None = None,
        record: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        hold_rows: bool = False,
    ) -> BranchResult:
        """Run the sub-flow on an output handle; with `url`, in a new page of its own.

        With `url` or `hold_rows`, the branch's rows are returned for the caller to emit
        (rows held back are emitted anyway if the branch fails).
        """
        return await self.run.run_branch(
            self, handle, url=url, record=record, variables=variables, hold_rows=hold_rows
        )


@dataclass
class StepNotes:
    """What a step recorded besides rows and logs."""

    selectors: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    """What the step line and the replay say about it: why a loop stopped, a renderer
    switch, a page loaded again."""
    screenshot: bytes | None = None
    screenshot_area: ScreenshotArea = "viewport"
    llm: LlmUsage | None = None
    framed: bool = False
    """The step acted in a frame: its selectors are not the page's, so are not highlighted."""
    emitted: bool = False
    """The step handed on rows (in any attempt): it is not retried, as a retry would send
    them again."""
    attempts: int = 0
    """Attempts made so far (one the worker's stall caused does not count)."""
    ended: bool = False
    """The step's StepFinished went out: a cancellation after that leaves it as it is."""
