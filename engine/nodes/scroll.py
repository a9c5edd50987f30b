"""scroll: by pixels, to the bottom, or until an infinite list stops growing."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class ScrollParams(NodeParams):
    mode: Literal["by", "bottom", "until_no_new_items"] = "bottom"
    pixels: int = Field(800, description="For mode by: how far; negative scrolls up.")
    item_selector: str | None = Field(
        None, description="For until_no_new_items: the items whose count must stop growing."
    )
    max_scrolls: int = Field(50, ge=1, le=10_000, description="Cap on scroll rounds.")
    pause_ms: int = Field(
        400, ge=0, le=30_000, description="Wait after each scroll for new items to load."
    )
    stable_rounds: int = Field(
        2, ge=1, le=20, description="Stop after this many rounds without new items."
    )

    @model_validator(mode="after")
    def _needs_items(self) -> ScrollParams:
        if self.mode == "until_no_new_items" and not self.item_selector:
            raise ValueError("mode 'until_no_new_items' needs item_selector")
        return self

    def selectors(self) -> Selectors:
        if self.item_selector:
            yield "item_selector", self.item_selector, "playwright"


async def run(ctx: NodeContext, params: ScrollParams) -> Outcome:
    page = await ctx.browser_page()
    if params.mode == "by":
        await page.mouse.wheel(0, params.pixels)
        await asyncio.sleep(params.pause_ms / 1000)
        return None
    if params.mode == "bottom":
        await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        await asyncio.sleep(params.pause_ms / 1000)
        return None
    assert params.item_selector is not None
    items = page.locator(ctx.locator_selector(params.item_selector))
    ctx.note_selector(params.item_selector)
    count, stable, rounds = await items.count(), 0, 0
    while rounds < params.max_scrolls and stable < params.stable_rounds:
        rounds += 1
        await items.last.scroll_into_view_if_needed(timeout=ctx.settings.timeouts.action_ms)
        await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        await asyncio.sleep(params.pause_ms / 1000)
        new_count = await items.count()
        stable = stable + 1 if new_count == count else 0
        count = new_count
    reason = "no new items" if stable >= params.stable_rounds else "max_scrolls reached"
    ctx.note(f"scrolled {rounds} times: {count} items, stopped on {reason}")
    return None


KIND = NodeKind(
    type="scroll",
    params=ScrollParams,
    run=run,
    label="Scroll",
    description="Scroll by pixels, to the bottom, or until an infinite list stops growing.",
    browser_only=True,
    self_limited=True,
)
