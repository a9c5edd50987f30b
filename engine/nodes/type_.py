"""type and fill: put text into an input, then optionally press a key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from engine.nodes._base import FrameField, NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class TypeParams(NodeParams):
    selector: str = Field(min_length=1, description="The input to type into.")
    text: str = Field(
        "", description="Text to enter; use {{name}} for a variable, e.g. a secret password."
    )
    clear: bool = Field(True, description="Clear the input first.")
    delay_ms: int = Field(0, ge=0, le=1000, description="Delay between keystrokes (type only).")
    press: str | None = Field(None, description="Key to press afterwards, e.g. Enter.")
    frame: FrameField = None

    def selectors(self) -> Selectors:
        yield "selector", self.selector, "playwright"


async def _enter(ctx: NodeContext, params: TypeParams, *, keystrokes: bool) -> Outcome:
    page = await ctx.target(params.frames())
    target = page.locator(ctx.locator_selector(params.selector)).first
    timeout = ctx.settings.timeouts.action_ms
    ctx.note_selector(params.selector)
    if keystrokes:
        if params.clear:
            await target.fill("", timeout=timeout)
        await target.press_sequentially(params.text, delay=params.delay_ms, timeout=timeout)
    else:
        await target.fill(params.text, timeout=timeout)
    if params.press:
        await target.press(params.press, timeout=timeout)
    return None


async def run_type(ctx: NodeContext, params: TypeParams) -> Outcome:
    return await _enter(ctx, params, keystrokes=True)


async def run_fill(ctx: NodeContext, params: TypeParams) -> Outcome:
    return await _enter(ctx, params, keystrokes=False)


TYPE = NodeKind(
    type="type",
    params=TypeParams,
    run=run_type,
    label="Type",
    description="Type text key by key into an input, then optionally press a key.",
    browser_only=True,
)
FILL = NodeKind(
    type="fill",
    params=TypeParams,
    run=run_fill,
    label="Fill",
    description="Set an input's value at once, then optionally press a key.",
    browser_only=True,
)
