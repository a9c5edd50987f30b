"""screenshot: capture the viewport, the full page or one element."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class ScreenshotParams(NodeParams):
    mode: Literal["viewport", "full_page", "element"] = "viewport"
    selector: str | None = Field(
        None,
        description="The element for mode element; in the other modes, what the replay highlights.",
    )

    @model_validator(mode="after")
    def _needs_selector(self) -> ScreenshotParams:
        if self.mode == "element" and not self.selector:
            raise ValueError("mode 'element' needs a selector")
        return self

    def selectors(self) -> Selectors:
        if self.selector:
            yield "selector", self.selector, "playwright"


async def run(ctx: NodeContext, params: ScreenshotParams) -> Outcome:
    page = await ctx.browser_page()
    timeout = ctx.settings.timeouts.action_ms
    if params.selector:
        ctx.note_selector(params.selector)
    if params.mode == "element" and params.selector:
        target = page.locator(ctx.locator_selector(params.selector)).first
        image = await target.screenshot(timeout=timeout)
    else:
        image = await page.screenshot(full_page=params.mode == "full_page", timeout=timeout)
    ctx.attach_screenshot(image, area=params.mode)
    return None


KIND = NodeKind(
    type="screenshot",
    params=ScreenshotParams,
    run=run,
    label="Screenshot",
    description="Capture the viewport, the full page or one element into the step.",
    browser_only=True,
)
