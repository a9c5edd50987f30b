"""navigate: load a URL in the current page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine.nodes._base import NodeKind, NodeParams, Outcome

if TYPE_CHECKING:
    from engine.context import NodeContext

WaitUntil = Literal["load", "domcontentloaded", "networkidle", "commit"]


class NavigateParams(NodeParams):
    url: str = Field(min_length=1, description="Absolute URL; may contain {{variables}}.")
    wait_until: WaitUntil = Field("load", description="When the page counts as loaded.")


async def run(ctx: NodeContext, params: NavigateParams) -> Outcome:
    await ctx.goto(params.url, wait_until=params.wait_until)
    return None


KIND = NodeKind(
    type="navigate",
    params=NavigateParams,
    run=run,
    label="Navigate",
    description="Open a URL in the current page.",
)
