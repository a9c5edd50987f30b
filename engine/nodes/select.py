"""select: choose an option of a <select>."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from engine.nodes._base import FrameField, NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class SelectParams(NodeParams):
    selector: str = Field(min_length=1, description="The <select> element.")
    value: str | None = Field(None, description="Option value to choose.")
    option_label: str | None = Field(None, description="Option text to choose.")
    index: int | None = Field(None, ge=0, description="Option position to choose.")
    frame: FrameField = None

    @model_validator(mode="after")
    def _one_choice(self) -> SelectParams:
        if sum(x is not None for x in (self.value, self.option_label, self.index)) != 1:
            raise ValueError("give exactly one of value, option_label, index")
        return self

    def selectors(self) -> Selectors:
        yield "selector", self.selector, "playwright"


async def run(ctx: NodeContext, params: SelectParams) -> Outcome:
    page = await ctx.target(params.frames())
    target = page.locator(ctx.locator_selector(params.selector)).first
    ctx.note_selector(params.selector)
    timeout = ctx.settings.timeouts.action_ms
    if params.value is not None:
        chosen = await target.select_option(value=params.value, timeout=timeout)
    elif params.option_label is not None:
        chosen = await target.select_option(label=params.option_label, timeout=timeout)
    else:
        chosen = await target.select_option(index=params.index, timeout=timeout)
    ctx.log("info", f"selected {chosen}")
    return None


KIND = NodeKind(
    type="select",
    params=SelectParams,
    run=run,
    label="Select option",
    description="Choose an option of a drop-down by value, text or position.",
    browser_only=True,
)
