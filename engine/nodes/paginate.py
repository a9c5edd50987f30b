"""paginate: run the `body` sub-flow on each page, following a next button or a URL template."""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from engine.errors import NavigationError, StepError
from engine.extract import Document
from engine.extract import Field as ExtractField
from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors
from engine.selectors import playwright_only
from engine.template import render

if TYPE_CHECKING:
    from engine.context import NodeContext
    from engine.page import Page


class PaginateParams(NodeParams):
    mode: Literal["next", "url_template"] = "next"
    next_selector: str | None = Field(
        None, description="For next: the link or button to the next page."
    )
    url_template: str | None = Field(
        None, description="For url_template: a URL with {{page}}, e.g. /list?page={{page}}."
    )
    start: int = Field(1, ge=0, description="For url_template: the first page number.")
    max_pages: int = Field(10, ge=1, le=100_000, description="Stop after this many pages.")
    stop_when_no_new_rows: bool = Field(
        True,
        description=(
            "Stop when a page has no rows or repeats an earlier page's rows exactly (its rows "
            "are not emitted, so each page's rows go out when the page is done)."
        ),
    )
    wait_for: str | None = Field(None, description="After going next, wait for this element.")

    @model_validator(mode="after")
    def _mode_fields(self) -> PaginateParams:
        if self.mode == "next" and not self.next_selector:
            raise ValueError("mode 'next' needs next_selector")
        if self.mode == "url_template" and not self.url_template:
            raise ValueError("mode 'url_template' needs url_template")
        return self

    def selectors(self) -> Selectors:
        if self.next_selector:
            yield "next_selector", self.next_selector, "playwright"
        if self.wait_for:
            yield "wait_for", self.wait_for, "playwright"


def _key(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, sort_keys=True, default=str)


async def _next_links(ctx: NodeContext, params: PaginateParams) -> list[str] | None:
    """Where the next control links to ([] for a button or a script link); None when the
    page has no usable one (absent or disabled)."""
    selector = params.next_selector
    assert selector is not None
    if playwright_only(selector):
        return []
    document = await ctx.document()
    if document.count(selector) == 0 or _disabled(document, selector):
        return None
    return document.links(selector)


async def _ahead(ctx: NodeContext, params: PaginateParams, pages: int) -> asyncio.Task[Page] | None:
    """On a static page whose next link is plain, start loading the next page now, while the
    body runs on this one (the body of a page never sees the next)."""
    static = ctx.page.renderer == "http" and not params.wait_for  # wait_for needs the browser
    if params.mode != "next" or pages + 1 >= params.max_pages or not static:
        return None
    links = await _next_links(ctx, params)
    return asyncio.ensure_future(ctx.fetch_ahead(links[0])) if links else None


async def _drop(ahead: asyncio.Task[Page] | None) -> None:
    """Stop a read-ahead that is not wanted after all; what it loaded is let go."""
    if ahead is None:
        return
    ahead.cancel()
    with suppress(BaseException):
        await ahead


async def _go_next(ctx: NodeContext, params: PaginateParams) -> bool:
    """Move to the next page; False when there is none (absent, disabled, or going nowhere)."""
    selector = params.next_selector
    assert selector is not None
    links = await _next_links(ctx, params)
    if links is None:
        return False
    if links:
        await ctx.goto(links[0])
    else:  # a button, or a link that only scripts can follow
        page = await ctx.browser_page()
        button = page.locator(ctx.locator_selector(selector)).first
        if not await button.count() or not await button.is_enabled():
            return False
        before = await ctx.page.content()
        try:
            async with ctx.loading_page():
                await button.click(timeout=ctx.settings.timeouts.action_ms)
                await ctx.wait_for_change(before)
        except StepError:
            ctx.log("info", "clicking next did not change the page")
            return False
    if params.wait_for:
        page = await ctx.browser_page()
        await page.locator(ctx.locator_selector(params.wait_for)).first.wait_for(
            timeout=ctx.settings.timeouts.action_ms
        )
    return True


_STATE = [
    ExtractField(name="class", value="attr:class"),
    ExtractField(name="aria", value="attr:aria-disabled"),
    ExtractField(name="disabled", value="attr:disabled"),
]


def _disabled(document: Document, selector: str) -> bool:
    """The next control says it is disabled (attribute, aria-disabled or a 'disabled' class)."""
    state = document.items(selector, _STATE, limit=1)[0]
    classes = (state["class"] or "").split()
    return state["disabled"] is not None or state["aria"] == "true" or "disabled" in classes


async def run(ctx: NodeContext, params: PaginateParams) -> Outcome:
    seen: set[str] = set()
    number, pages = params.start, 0
    while True:
        if params.url_template:
            url = render(params.url_template, {**ctx.variables, "page": number})
            try:
                await ctx.goto(url)
            except NavigationError as exc:
                if exc.status in (404, 410) and pages:  # past the last page
                    ctx.note(f"stopped: page {number} does not exist ({exc.status})")
                    break
                raise
        ahead = await _ahead(ctx, params, pages)
        this_page, this_url = ctx.scope.page, ctx.page.url
        try:
            # rows are held back until we know the page is not a repeat of one already seen
            gathered = len(ctx.run.gathered)
            result = await ctx.run_branch(
                "body", variables={"page": number}, hold_rows=params.stop_when_no_new_rows
            )
            pages += 1
            found = result.rows + ctx.run.gathered[gathered:]  # collect_as rows count too
            fingerprint = _key(found)
            ctx.log("info", f"page {number}: {len(found)} rows")
            if params.stop_when_no_new_rows and (not found or fingerprint in seen):
                why = "has no rows" if not found else "repeats an earlier page"
                ctx.note(f"stopped: page {number} {why}")
                break
            seen.add(fingerprint)
            if params.stop_when_no_new_rows:
                await ctx.emit_rows(result.rows)
            if pages >= params.max_pages:
                ctx.note(f"stopped: max_pages {params.max_pages} reached")
                break
            if ahead is not None and ctx.scope.page is this_page and ctx.page.url == this_url:
                ctx.scope.page, ahead = await ahead, None
            elif params.mode == "next" and not await _go_next(ctx, params):
                # (a read-ahead the body made stale, by moving the page, is dropped below)
                ctx.note(f"stopped: no next page after page {number}")
                break
        finally:
            await _drop(ahead)  # not wanted after all: stopped, failed, or made stale
        number += 1
    return None


KIND = NodeKind(
    type="paginate",
    params=PaginateParams,
    run=run,
    label="Paginate",
    description=(
        "Run the 'body' sub-flow on each page, going next by a link/button or a URL template; "
        "stops at max pages, when next is gone, or when a page adds no new rows (none, or the "
        "same rows as an earlier page)."
    ),
    handles=("body",),
    raw_fields=("url_template",),
    loop=True,
)
