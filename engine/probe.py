"""Selector probes for the builder: what some selectors match on a live page, shown on a
screenshot, before they go into a bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from browser_pool import BrowserPool
from engine.context import NodeContext
from engine.errors import NavigationError
from engine.events import Box
from engine.network import Network, Traffic, check_url, explain_load, policed_context
from engine.page import BrowserPage
from engine.selectors import validate_selector

SAMPLES = 5
"""Matches described per selector: enough to see the pattern, small enough to send back."""
TEXT_CHARS = 300

# Outline the matches in the page itself, so the screenshot shows them without an overlay.
_OUTLINE_SCRIPT = """(elements, limit) => elements.slice(0, limit).forEach(e => {
  e.style.setProperty('outline', '3px solid #f04438', 'important');
  e.style.setProperty('outline-offset', '-2px', 'important');
})"""
_SAMPLES_SCRIPT = """(elements, [limit, chars]) => elements.slice(0, limit).map(e => ({
  tag: e.tagName.toLowerCase(),
  text: (e.innerText || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, chars),
  attributes: Object.fromEntries(
    Array.from(e.attributes).map(a => [a.name, a.value.slice(0, chars)])),
}))"""


class Sample(BaseModel):
    """One matched element."""

    tag: str
    text: str = Field(description=f"Its visible text, whitespace collapsed (≤ {TEXT_CHARS}).")
    attributes: dict[str, str]


class SelectorMatches(BaseModel):
    """What one selector matched."""

    selector: str
    count: int = Field(description="Elements matched on the page.")
    samples: list[Sample] = Field(description=f"The first {SAMPLES} matches.")
    boxes: list[Box] = Field(
        description="Their boxes on the screenshot: (left, top, width, height) as fractions."
    )
    error: str | None = Field(None, description="Why this selector could not be tried.")


class Probe(BaseModel):
    """A page and what the selectors matched on it (as JSON, the screenshot is base64)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    url: str
    title: str
    selectors: list[SelectorMatches]
    screenshot: bytes | None = Field(
        None, description="PNG of the viewport, the matches outlined in red."
    )
    html: str | None = Field(None, description="The page's HTML, when asked for.")


def in_playwright(selector: str, item_selector: str | None = None) -> str:
    """The selector in Playwright's spelling; with `item_selector`, inside each of its items
    (as an extract node applies a field's selector)."""
    own = NodeContext.locator_selector(selector)
    if item_selector is None:
        return own
    return f"{NodeContext.locator_selector(item_selector)} >> {own}"


async def match_selector(page: BrowserPage, selector: str) -> SelectorMatches:
    """What `selector` matches on the page now: count, first samples, boxes on the viewport."""
    problem = validate_selector(selector)
    if problem is not None:
        return SelectorMatches(selector=selector, count=0, samples=[], boxes=[], error=problem)
    spelled = in_playwright(selector)
    count, boxes = await page.boxes(spelled, "viewport")
    found: list[dict[str, Any]] = await page.page.locator(spelled).evaluate_all(
        _SAMPLES_SCRIPT, [SAMPLES, TEXT_CHARS]
    )
    return SelectorMatches(
        selector=selector,
        count=count,
        samples=[Sample.model_validate(sample) for sample in found],
        boxes=list(boxes),
    )


@asynccontextmanager
async def opened(
    pool: BrowserPool,
    *,
    url: str | None,
    html: str | None,
    within: timedelta,
    network: Network | None,
) -> AsyncIterator[BrowserPage]:
    """`url` (or `html`) loaded in a fresh context whose requests are checked like a run's;
    the whole block is bounded by `within`.

    A page that does not load raises `NavigationError` naming the URL (`Refused` where
    `network` does not let it go).
    """
    if (url is None) == (html is None):
        raise ValueError("give either a URL or HTML")
    traffic = Traffic(network or Network())
    if url is not None:
        check_url(traffic.network.policy, url)
    async with (
        asyncio.timeout(within.total_seconds()),
        policed_context(pool, traffic) as lease,
    ):
        raw = await lease.new_page(wait=within)
        page = BrowserPage(raw, lease.close_page)
        timeout_ms = int(within.total_seconds() * 1000)
        if url is not None:
            try:
                await page.goto(url, wait_until="load", timeout_ms=timeout_ms)
            except NavigationError as exc:
                explained = explain_load(exc, url, traffic.since(0))
                if explained is exc:
                    raise
                raise explained from exc
        else:
            try:
                await raw.set_content(html or "", wait_until="load", timeout=timeout_ms)
            except Exception as exc:
                message = f"could not render the given HTML: {exc}"
                raise NavigationError(message, "about:blank") from exc
        yield page


async def outline(page: BrowserPage, selector: str, item_selector: str | None = None) -> None:
    """Outline the selector's first matches (in the items of `item_selector`, if given) in
    red, for the next screenshot."""
    await page.page.locator(in_playwright(selector, item_selector)).evaluate_all(
        _OUTLINE_SCRIPT, 50
    )


async def probe(
    pool: BrowserPool,
    selectors: list[str],
    *,
    url: str | None = None,
    html: str | None = None,
    screenshot: bool = True,
    want_html: bool = False,
    within: timedelta = timedelta(seconds=30),
    network: Network | None = None,
) -> Probe:
    """Open `url` (or `html`) in a fresh context and try each selector on it.

    A bad selector is reported on its own entry; a page that does not load raises
    `NavigationError` naming the URL (`Refused` where `network` does not let it go); the
    whole probe is bounded by `within`. The page's requests are checked like a run's.
    """
    async with opened(pool, url=url, html=html, within=within, network=network) as page:
        raw = page.page
        found = [await match_selector(page, selector) for selector in selectors]
        if screenshot:
            for matched in found:
                if matched.error is None and matched.count:
                    await outline(page, matched.selector)
        timeout_ms = int(within.total_seconds() * 1000)
        return Probe(
            url=raw.url,
            title=await raw.title(),
            selectors=found,
            screenshot=await raw.screenshot(timeout=timeout_ms) if screenshot else None,
            html=await page.content() if want_html else None,
        )
