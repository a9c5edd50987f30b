"""click: click an element, optionally waiting for the navigation or pop-up it causes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine.nodes._base import FrameField, NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class ClickParams(NodeParams):
    selector: str = Field(min_length=1, description="CSS, XPath or Playwright selector.")
    index: int = Field(0, ge=0, description="Which match to click when several match.")
    button: Literal["left", "right", "middle"] = "left"
    count: int = Field(1, ge=1, le=3, description="1 = click, 2 = double click.")
    wait_for: Literal["none", "navigation", "popup"] = Field(
        "none",
        description="navigation: wait for the page to load; popup: continue in the new page.",
    )
    frame: FrameField = None

    def selectors(self) -> Selectors:
        yield "selector", self.selector, "playwright"


async def run(ctx: NodeContext, params: ClickParams) -> Outcome:
    page = await ctx.target(params.frames())
    target = page.locator(ctx.locator_selector(params.selector)).nth(params.index)
    timeout = ctx.settings.timeouts.action_ms
    ctx.note_selector(params.selector)
    if params.wait_for == "popup":
        async with ctx.loading_page():
            async with ctx.expect_popup() as popup:
                await target.click(button=params.button, click_count=params.count, timeout=timeout)
            await ctx.adopt_page(await popup.value)
    elif params.wait_for == "navigation":
        navigation = page.expect_navigation(timeout=ctx.settings.timeouts.navigation_ms)
        async with ctx.loading_page(), navigation:
            await target.click(button=params.button, click_count=params.count, timeout=timeout)
    else:
        await target.click(button=params.button, click_count=params.count, timeout=timeout)
    return None


KIND = NodeKind(
    type="click",
    params=ClickParams,
    run=run,
    label="Click",
    description="Click an element; wait for the navigation or pop-up it opens.",
    browser_only=True,
)
