"""wait: for a selector state, a fixed time, a load state or network idle."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from engine.errors import StepError
from engine.nodes._base import FrameField, NodeKind, NodeParams, Outcome, Selectors
from engine.selectors import playwright_only

if TYPE_CHECKING:
    from engine.context import NodeContext


class WaitParams(NodeParams):
    mode: Literal["selector", "time", "load_state", "network_idle"] = "selector"
    selector: str | None = Field(None, description="For mode selector.")
    state: Literal["attached", "detached", "visible", "hidden"] = "visible"
    ms: int = Field(1000, ge=0, le=600_000, description="For mode time: milliseconds.")
    load_state: Literal["load", "domcontentloaded", "networkidle"] = "load"
    frame: FrameField = None

    @model_validator(mode="after")
    def _needs_selector(self) -> WaitParams:
        if self.mode == "selector" and not self.selector:
            raise ValueError("mode 'selector' needs a selector")
        return self

    def selectors(self) -> Selectors:
        if self.selector:
            yield "selector", self.selector, "playwright"


async def run(ctx: NodeContext, params: WaitParams) -> Outcome:
    if params.mode == "time":
        await asyncio.sleep(params.ms / 1000)
        return None
    timeout = params.timeout_ms or ctx.settings.timeouts.action_ms
    in_page = not params.frame
    if params.mode in ("load_state", "network_idle") and ctx.page.renderer == "http" and in_page:
        return None  # a page fetched over HTTP is complete: nothing more will load
    selector = params.selector
    if (
        params.mode == "selector"
        and selector
        and not playwright_only(selector)
        and ctx.page.renderer == "http"
        and in_page
    ):
        # a static page either has the element or, in auto mode, gets rendered in the browser,
        # where the wait below waits as long as it would have from the start
        if params.state in ("detached", "hidden"):
            return None
        document = await ctx.document(expect=selector)
        if ctx.page.renderer == "http":
            if document.count(selector) == 0:
                raise StepError(f"selector {selector!r} matched nothing on {ctx.page.url}")
            return None
    page = await ctx.target(params.frames())
    if params.mode == "selector" and params.selector:
        ctx.note_selector(params.selector)
        await page.locator(ctx.locator_selector(params.selector)).first.wait_for(
            state=params.state, timeout=timeout
        )
    elif params.mode == "load_state":
        await page.wait_for_load_state(params.load_state, timeout=timeout)
    else:
        await page.wait_for_load_state("networkidle", timeout=timeout)
    return None


KIND = NodeKind(
    type="wait",
    params=WaitParams,
    run=run,
    label="Wait",
    description="Wait for an element, a fixed time, a load state or network idle.",
    self_limited=True,
)
