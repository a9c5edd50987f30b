"""evaluate: run a JavaScript expression in the page and keep its result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from engine.nodes._base import FrameField, NodeKind, NodeParams, Outcome

if TYPE_CHECKING:
    from engine.context import NodeContext


class EvaluateParams(NodeParams):
    expression: str = Field(
        min_length=1, description="A JS expression or function; its JSON result is kept."
    )
    save_as: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Variable to store the result."
    )
    frame: FrameField = None

    def defines(self) -> Iterator[str]:
        if self.save_as:
            yield self.save_as


async def run(ctx: NodeContext, params: EvaluateParams) -> Outcome:
    page = await ctx.target(params.frames())
    result = await page.evaluate(params.expression)
    if params.save_as:
        ctx.set_variable(params.save_as, result)
    ctx.log("debug", f"evaluate returned {str(result)[:200]!r}")
    return None


KIND = NodeKind(
    type="evaluate",
    params=EvaluateParams,
    run=run,
    label="Run JavaScript",
    description="Evaluate a JavaScript expression in the page; store the result in a variable.",
    browser_only=True,
)
