"""Where a step's selectors matched on its screenshot, checked against the element boxes
Chromium reports for the same page in a context of its own."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest

from browser_pool import BrowserPool, ContextOptions
from engine import Highlight, ListSink, StepFinished
from engine.page import MAX_BOXES, BrowserPage
from tests.engine.conftest import RunBot, bot, logged, node
from trawler.demo_site import DemoSite

VIEWPORT = {"width": 1000, "height": 600}
CARD = {"name": "card", "selector": "h2"}
Px = tuple[float, float, float, float]


def step(sink: ListSink, node_id: str) -> StepFinished:
    return next(s for s in sink.steps if s.node_id == node_id)


def png_size(image: bytes | None) -> tuple[int, int]:
    assert image is not None
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", image[16:24])
    return width, height


async def measure(url: str, selector: str, *, scroll_y: int = 0) -> list[Px]:
    """Boxes of every match in document pixels (`scroll_y` 0) or viewport pixels, from
    Playwright's own `bounding_box` on a fresh page of the bot's viewport size."""
    options = ContextOptions(viewport=(VIEWPORT["width"], VIEWPORT["height"]))
    async with BrowserPool() as pool, pool.context(options) as lease:
        page = await lease.new_page()
        await page.goto(url)
        await page.evaluate(f"window.scrollTo(0, {scroll_y})")
        found = page.locator(selector)
        boxes = []
        for index in range(await found.count()):
            box = await found.nth(index).bounding_box()
            assert box is not None
            boxes.append((box["x"], box["y"], box["width"], box["height"]))
        return boxes


def clipped(boxes: list[Px], width: int, height: int) -> list[Px]:
    """What of each box falls inside a `width` x `height` image; boxes outside it dropped."""
    kept = []
    for x, y, w, h in boxes:
        left, top = max(x, 0), max(y, 0)
        right, bottom = min(x + w, width), min(y + h, height)
        if right > left and bottom > top:
            kept.append((left, top, right - left, bottom - top))
    return kept


def in_pixels(highlight: Highlight, image: bytes | None) -> list[Px]:
    width, height = png_size(image)
    return [(x * width, y * height, w * width, h * height) for x, y, w, h in highlight.boxes]


def assert_boxes(actual: list[Px], expected: list[Px]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got == pytest.approx(want, abs=1.5), (got, want)


def extract_cards(selector: str, **settings: Any) -> dict[str, Any]:
    return bot(
        node("open", "navigate", url="{{site}}/lab/static-list"),
        node("items", "extract", item_selector=selector, fields=[CARD]),
        viewport=VIEWPORT,
        **settings,
    )


@pytest.mark.parametrize(
    "selector", [".card", "xpath://div[@class='card']", "(//div[@class='card'])"]
)
async def test_extract_items_are_boxed_where_the_viewport_shows_them(
    run_bot: RunBot, site: DemoSite, selector: str
) -> None:
    finished, sink = await run_bot(extract_cards(selector, trace="steps"))
    assert finished.status == "succeeded", finished.error
    assert len(sink.rows) == 12
    items = step(sink, "items")
    assert items.matches == (selector,)
    [highlight] = items.highlights
    assert highlight.selector == selector
    assert highlight.count == 12
    expected = clipped(await measure(f"{site.base_url}/lab/static-list", ".card"), 1000, 600)
    assert 0 < len(expected) < 12  # the list runs past the bottom of the viewport
    assert_boxes(in_pixels(highlight, items.screenshot), expected)
    assert all(0 <= v <= 1 for box in highlight.boxes for v in box)
    _, top, _, height = highlight.boxes[-1]
    assert top + height == pytest.approx(1, abs=1e-4)  # the last visible card is cut at the edge
    assert step(sink, "open").highlights == ()  # a navigate matches no selector


async def test_a_full_page_screenshot_boxes_in_document_coordinates(
    run_bot: RunBot, site: DemoSite
) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/static-list"),
        node("down", "evaluate", expression="window.scrollTo(0, 250)"),
        node("shot", "screenshot", mode="full_page", selector=".card"),
        node("items", "extract", item_selector=".card", fields=[CARD]),
        viewport=VIEWPORT,
        trace="steps",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    shot = step(sink, "shot")
    width, height = png_size(shot.screenshot)
    assert height > 600
    [highlight] = shot.highlights
    assert highlight.count == 12
    url = f"{site.base_url}/lab/static-list"
    on_document = await measure(url, ".card")
    assert_boxes(in_pixels(highlight, shot.screenshot), clipped(on_document, width, height))
    # the next step's own screenshot is the viewport, scrolled by 250 px
    items = step(sink, "items")
    assert png_size(items.screenshot) == (1000, 600)
    on_viewport = clipped(await measure(url, ".card", scroll_y=250), 1000, 600)
    assert_boxes(in_pixels(items.highlights[0], items.screenshot), on_viewport)


async def test_an_element_screenshot_counts_but_has_no_boxes(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/static-list"),
        node("shot", "screenshot", mode="element", selector=".card"),
        viewport=VIEWPORT,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    assert step(sink, "shot").highlights == (Highlight(".card", 12, ()),)


async def test_a_clicked_element_is_boxed(run_bot: RunBot, site: DemoSite) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/clicks"),
        node("press", "click", selector="#target"),
        viewport=VIEWPORT,
        trace="steps",
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    press = step(sink, "press")
    [highlight] = press.highlights
    assert (highlight.selector, highlight.count) == ("#target", 1)
    expected = await measure(f"{site.base_url}/lab/clicks", "#target")
    assert_boxes(in_pixels(highlight, press.screenshot), expected)


async def test_a_selector_matching_nothing_counts_zero(run_bot: RunBot) -> None:
    finished, sink = await run_bot(extract_cards(".nothing-here", trace="steps"))
    assert finished.status == "succeeded", finished.error
    assert step(sink, "items").highlights == (Highlight(".nothing-here", 0, ()),)


async def test_a_failed_click_is_highlighted_on_its_error_screenshot(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/clicks"),
        node("press", "click", selector="#missing", on_error="continue"),
        timeouts={"navigation_ms": 3000, "action_ms": 300, "selector_ms": 300},
    )  # trace "errors": only the failed step has a screenshot
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    press = step(sink, "press")
    assert press.status == "failed"
    assert press.screenshot is not None
    assert press.highlights == (Highlight("#missing", 0, ()),)


async def test_no_screenshot_no_highlights(run_bot: RunBot) -> None:
    finished, sink = await run_bot(extract_cards(".card"))  # trace "errors", all succeed
    assert finished.status == "succeeded", finished.error
    items = step(sink, "items")
    assert items.screenshot is None
    assert items.matches == (".card",)
    assert items.highlights == ()


async def test_at_most_fifty_boxes(run_bot: RunBot) -> None:
    document = bot(
        node("open", "navigate", url="{{site}}/lab/big?n=300"),
        node("shot", "screenshot", mode="full_page", selector="li.item"),
        viewport=VIEWPORT,
    )
    finished, sink = await run_bot(document)
    assert finished.status == "succeeded", finished.error
    [highlight] = step(sink, "shot").highlights
    assert highlight.count == 300
    assert len(highlight.boxes) == MAX_BOXES


async def test_http_pages_get_no_highlights(run_bot: RunBot) -> None:
    finished, sink = await run_bot(extract_cards(".card", trace="full", renderer="http"))
    assert finished.status == "succeeded", finished.error
    items = step(sink, "items")
    assert items.html is not None
    assert items.highlights == ()


async def test_highlights_never_fail_a_step(
    run_bot: RunBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: BrowserPage, selector: str, area: str) -> Any:
        raise RuntimeError("measuring went wrong")

    monkeypatch.setattr(BrowserPage, "boxes", broken)
    finished, sink = await run_bot(extract_cards(".card", trace="steps"))
    assert finished.status == "succeeded", finished.error
    items = step(sink, "items")
    assert items.status == "succeeded"
    assert items.screenshot is not None
    assert items.highlights == ()
    assert logged(sink, "no highlights: RuntimeError: measuring went wrong", "debug")


async def test_a_page_that_stalls_highlights_costs_them_only(
    run_bot: RunBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def stalled(self: BrowserPage, selector: str, area: str) -> Any:
        await asyncio.sleep(60)

    monkeypatch.setattr(BrowserPage, "boxes", stalled)
    monkeypatch.setattr("engine.runner.HIGHLIGHT_TIMEOUT_S", 0.2)
    finished, sink = await run_bot(extract_cards(".card", trace="steps"))
    assert finished.status == "succeeded", finished.error
    items = step(sink, "items")
    assert items.highlights == ()
    assert items.duration_ms < 10_000
    assert logged(sink, "no highlights: timed out", "debug")
