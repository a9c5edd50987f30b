"""hover: move the mouse over an element (menus that open on hover)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from engine.nodes._base import FrameField, NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class HoverParams(NodeParams):
    selector: str = Field(min_length=1, description="The element to hover.")
    frame: FrameField = None

    def selectors(self) -> Selectors:
        yield "selector", self.selector, "playwright"


async def run(ctx: NodeContext, params: HoverParams) -> Outcome:
    page = await ctx.target(params.frames())
    ctx.note_selector(params.selector)
    await page.locator(ctx.locator_selector(params.selector)).first.hover(
        timeout=ctx.settings.timeouts.action_ms
    )
    return None


KIND = NodeKind(
    type="hover",
    params=HoverParams,
    run=run,
    label="Hover",
    description="Move the mouse over an element.",
    browser_only=True,
)
