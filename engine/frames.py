"""The frame a node acts in: its `frame` field, a path of selectors from the page down.

Each selector (CSS, XPath or a Playwright selector, as a click's) names an `<iframe>` or
`<frame>` element in the document above it, the first match if several match; Playwright's
selectors reach into open shadow roots, so a frame inside a web component is found too. A frame
from another site works the same way: it loaded through the browser, so through the run's
network policy and proxy like everything else.
"""

from __future__ import annotations

from collections.abc import Sequence

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame
from playwright.async_api import Page as PlaywrightPage

from engine.errors import StepError
from engine.selectors import playwright_selector


async def enter(page: PlaywrightPage, path: Sequence[str], *, wait_ms: int, load_ms: int) -> Frame:
    """The frame at the end of `path`, loaded; each element is waited for up to `wait_ms`.

    `StepError` naming the field, the selector and the page's URL when an element is missing or
    is not a frame.
    """
    frame = page.main_frame
    for depth, selector in enumerate(path):
        where = f"on {page.url}" if depth == 0 else f"in frame {frame.url} on {page.url}"
        field = "frame" if len(path) == 1 else f"frame[{depth}]"
        located = frame.locator(playwright_selector(selector)).first
        handle = None
        try:
            # Playwright reads a timeout of 0 as "no limit": without a wait, look once
            if wait_ms > 0 or await located.count() > 0:
                handle = await located.element_handle(timeout=max(wait_ms, 1))
        except PlaywrightError:
            handle = None
        if handle is None:
            waited = f" (waited {wait_ms} ms)" if wait_ms > 0 else ""
            raise StepError(f"field {field!r}: no element matches {selector!r} {where}{waited}")
        try:
            inner = await handle.content_frame()
            tag = "" if inner is not None else await handle.evaluate("e => e.localName")
        finally:
            await handle.dispose()
        if inner is None:
            raise StepError(
                f"field {field!r}: {selector!r} matches a <{tag}>, not an <iframe> or <frame>, "
                f"{where}"
            )
        frame = inner
    try:
        await frame.wait_for_load_state("load", timeout=load_ms)
    except PlaywrightError as exc:
        raise StepError(
            f"field 'frame': the frame {frame.url} did not finish loading within "
            f"{load_ms / 1000:g} s on {page.url}"
        ) from exc
    return frame


def base_url(frame: Frame) -> str:
    """The URL the frame's relative links resolve against: its own, or, for a frame that has
    none (`srcdoc`, `about:blank` written by a script), the nearest ancestor's."""
    current: Frame | None = frame
    while current is not None and current.url.startswith("about:"):
        current = current.parent_frame
    return current.url if current is not None else frame.url
