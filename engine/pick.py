"""Point-to-element for the builder: the element under a point of the page's screenshot, the
selectors `engine.suggest` ranks for it, and what each matches, all on one open page.

Points are fractions of the viewport the probe's screenshot shows, so a point clicked on a
`probe` screenshot lands on the same element. The element is found as the page finds it
(`elementFromPoint`, through open shadow roots), and its path counts children the way the
page's HTML is read (`BrowserPage.content()`), so the suggestions are judged on that HTML.
With an item selector, one point's candidates are field selectors relative to the item around
the element, as an extract node reads its fields.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as PlaywrightPage
from pydantic import BaseModel, ConfigDict, Field

from browser_pool import BrowserPool
from engine._suggest_tree import Page as ParsedPage
from engine.errors import NothingAtPoint, NotInItem, PathNotFound
from engine.events import Box
from engine.network import Network
from engine.offload import off_loop
from engine.page import BrowserPage
from engine.probe import TEXT_CHARS, in_playwright, match_selector, opened, outline
from engine.suggest import (
    Candidate,
    FieldCandidate,
    PathStep,
    suggest,
    suggest_list,
    suggest_within,
)

log = logging.getLogger(__name__)

CANDIDATES = 8
"""Candidates measured on the page: the builder shows a short list, each a page round trip."""
LONGEST_VALUE = 200
"""Attribute values longer than this stay out of a path: no selector would use them."""

# For each point: the element under it, through open shadow roots, or why there is none; its
# path from <html>, counting children as engine._html writes them (an open shadow root's
# children first in their host, a slotted element inside its slot); its text and box.
_PICK_SCRIPT = """([points, chars, longest]) => {
  const width = window.innerWidth, height = window.innerHeight;
  const elements = (nodes) => Array.from(nodes).filter((n) => n.nodeType === Node.ELEMENT_NODE);
  const parentOf = (e) => {
    if (e.assignedSlot) return e.assignedSlot;
    const parent = e.parentNode;
    return parent instanceof ShadowRoot ? parent.host : parent;
  };
  const childrenOf = (e) => {
    if (e instanceof HTMLSlotElement && e.assignedNodes().length) {
      return elements(e.assignedNodes());
    }
    if (e.shadowRoot) {
      const light = elements(e.childNodes).filter((c) => !c.assignedSlot);
      return [...elements(e.shadowRoot.childNodes), ...light];
    }
    return elements(e.childNodes);
  };
  const step = (e) => {
    const parent = parentOf(e);
    const attributes = {};
    for (const a of e.attributes) {
      if (a.name !== 'id' && a.name !== 'class' && a.value.length <= longest) {
        attributes[a.name] = a.value;
      }
    }
    return {
      tag: e.localName.toLowerCase(),
      id: e.id || null,
      classes: Array.from(e.classList),
      attributes,
      index: parent instanceof Element ? childrenOf(parent).indexOf(e) + 1 : 1,
    };
  };
  const named = (e) => '<' + e.localName + (e.id ? ` id="${e.id}"` : '') + '>';
  const pick = ([x, y]) => {
    const px = Math.min(Math.floor(x * width), width - 1);
    const py = Math.min(Math.floor(y * height), height - 1);
    let element = document.elementFromPoint(px, py);
    for (let depth = 0; element && element.shadowRoot && depth < 100; depth++) {
      const inner = element.shadowRoot.elementFromPoint(px, py);
      if (!inner || inner === element) break;
      element = inner;
    }
    if (!element || element === document.documentElement || element === document.body) {
      return {error: "nothing is there but the page's background"};
    }
    if (element.localName === 'iframe' || element.localName === 'frame') {
      return {error: `it is inside a frame (${named(element)}), whose elements are not the page's`};
    }
    const path = [];
    for (let node = element; node instanceof Element; node = parentOf(node)) {
      path.unshift(step(node));
    }
    const whole = (element.textContent || '').trim().replace(/\\s+/g, ' ');
    path[path.length - 1].text = whole.length <= chars ? whole : null;
    const r = element.getBoundingClientRect();
    const left = Math.max(r.left, 0), top = Math.max(r.top, 0);
    const right = Math.min(r.right, width), bottom = Math.min(r.bottom, height);
    return {
      tag: element.localName.toLowerCase(),
      text: (element.innerText || element.textContent || '').trim().replace(/\\s+/g, ' ')
        .slice(0, chars),
      box: [left / width, top / height, Math.max(right - left, 0) / width,
            Math.max(bottom - top, 0) / height].map((v) => Math.round(v * 1e5) / 1e5),
      path,
      at: [px, py],
    };
  };
  return points.map(pick);
}"""

# Called on the node DevTools hit at the point, which may sit in a closed shadow root that the
# page's own scripts cannot enter: the tag of that root's host, or null.
_CLOSED_HOST = """function () {
  for (let node = this; node; ) {
    const root = node.getRootNode();
    if (!(root instanceof ShadowRoot)) return null;
    if (root.mode === 'closed') return root.host.localName;
    node = root.host;
  }
  return null;
}"""


class Point(BaseModel):
    """A point of the page's screenshot, as fractions of its width and height."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x: float = Field(ge=0, le=1, description="From the left edge: 0 to 1.")
    y: float = Field(ge=0, le=1, description="From the top edge: 0 to 1.")

    def label(self, index: int) -> str:
        """How error messages name the point: `point 1 (x=0.5, y=0.25)`."""
        return f"point {index + 1} (x={self.x:g}, y={self.y:g})"


class PickedElement(BaseModel):
    """The element under one point."""

    tag: str
    text: str = Field(description=f"Its visible text, whitespace collapsed (≤ {TEXT_CHARS}).")
    box: Box = Field(description="Its box on the screenshot: (left, top, width, height).")
    path: list[PathStep] = Field(
        description="Its path from <html>, as /selectors/suggest takes it (attribute values "
        f"over {LONGEST_VALUE} characters left out)."
    )


class MeasuredCandidate(Candidate):
    """A suggested selector and what it matches on the live page."""

    count: int = Field(
        ge=0,
        description="Elements it matches on the live page; for a field within items, the "
        "items it matches in (counted on the page's HTML as an extract node reads it).",
    )
    boxes: list[Box] = Field(
        description="Their boxes on the screenshot (for a field, in every item): (left, top, "
        "width, height) as fractions."
    )


class Pick(BaseModel):
    """The elements under the points and the selectors suggested for them."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    url: str
    title: str
    elements: list[PickedElement] = Field(description="One per point, in order.")
    candidates: list[MeasuredCandidate] = Field(
        description="Most stable first: for one point the element's selectors (relative to "
        "its item, given an item selector), for two the item selectors of the list both belong "
        "to (none when nothing around them repeats)."
    )
    screenshot: bytes = Field(description="PNG of the viewport, the best one's matches outlined.")


async def _closed_host(page: PlaywrightPage, x: int, y: int) -> str | None:
    """The host of the closed shadow root the element at (x, y) is in, asking DevTools (which
    sees into closed roots); None when it is in none, or DevTools cannot tell."""
    session = await page.context.new_cdp_session(page)
    try:
        hit = await session.send("DOM.getNodeForLocation", {"x": x, "y": y})
        node = await session.send("DOM.resolveNode", {"backendNodeId": hit["backendNodeId"]})
        answer = await session.send(
            "Runtime.callFunctionOn",
            {
                "objectId": node["object"]["objectId"],
                "functionDeclaration": _CLOSED_HOST,
                "returnByValue": True,
            },
        )
    except PlaywrightError as exc:
        log.debug("no hit test from DevTools at (%d, %d): %s", x, y, exc)
        return None
    finally:
        await session.detach()
    host = answer["result"].get("value")
    return str(host) if host else None


def _suggested(
    html: str, paths: list[list[PathStep]], points: list[Point], item_selector: str | None
) -> list[Candidate]:
    parsed = ParsedPage(html)
    for index, path in enumerate(paths):
        try:
            parsed.locate(path)
        except PathNotFound as exc:
            message = f"{points[index].label(index)}: the page's HTML has no such element ({exc})"
            raise NothingAtPoint(message, index) from exc
    if item_selector is not None:
        try:
            return list(suggest_within(html, item_selector, paths[0], limit=CANDIDATES))
        except NotInItem as exc:
            raise NothingAtPoint(f"{points[0].label(0)}: {exc}", 0) from exc
    if len(paths) == 1:
        return suggest(html, paths[0], limit=CANDIDATES)
    return suggest_list(html, paths, limit=CANDIDATES)


async def _measured(
    page: BrowserPage, candidate: Candidate, item_selector: str | None
) -> MeasuredCandidate:
    """The candidate with its matches on the live page (for a field, in every item)."""
    if isinstance(candidate, FieldCandidate):
        _, boxes = await page.boxes(in_playwright(candidate.selector, item_selector), "viewport")
        own = candidate.model_dump(exclude={"items"})
        return MeasuredCandidate(**own, count=candidate.items, boxes=list(boxes))
    matched = await match_selector(page, candidate.selector)
    return MeasuredCandidate(
        **candidate.model_dump(), count=matched.count, boxes=list(matched.boxes)
    )


async def pick(
    pool: BrowserPool,
    points: list[Point],
    *,
    url: str | None = None,
    html: str | None = None,
    item_selector: str | None = None,
    within: timedelta = timedelta(seconds=30),
    network: Network | None = None,
) -> Pick:
    """Open `url` (or `html`) as `probe` does, find the element under each point and rank
    selectors for it: one point, the element's (with `item_selector`, relative to the item
    around it); two, the items of the list both are in.

    Raises `NothingAtPoint` naming the point when nothing but the background is there, the
    element is in a frame or a closed shadow root, or in none of the items; otherwise as
    `probe`.
    """
    if not 1 <= len(points) <= (1 if item_selector is not None else 2):
        raise ValueError(f"give one or two points (one with items), not {len(points)}")
    async with opened(pool, url=url, html=html, within=within, network=network) as page:
        raw = page.page
        found: list[dict[str, Any]] = await raw.evaluate(
            _PICK_SCRIPT, [[[p.x, p.y] for p in points], TEXT_CHARS, LONGEST_VALUE]
        )
        for index, (point, element) in enumerate(zip(points, found, strict=True)):
            if "error" in element:
                raise NothingAtPoint(f"{point.label(index)}: {element['error']}", index)
            if host := await _closed_host(raw, *element["at"]):
                reason = f"it is inside the closed shadow root of <{host}>, which no script reads"
                raise NothingAtPoint(f"{point.label(index)}: {reason}", index)
        elements = [PickedElement.model_validate(element) for element in found]
        content = await page.content()
        paths = [element.path for element in elements]
        candidates = await off_loop(
            lambda: _suggested(content, paths, points, item_selector), pattern_limit=within
        )
        measured = [await _measured(page, c, item_selector) for c in candidates]
        if measured and measured[0].count:
            await outline(page, measured[0].selector, item_selector)
        return Pick(
            url=raw.url,
            title=await raw.title(),
            elements=elements,
            candidates=measured,
            screenshot=await raw.screenshot(timeout=int(within.total_seconds() * 1000)),
        )
