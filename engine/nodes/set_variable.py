"""set_variable: give a variable a value, literal or read from the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from engine.extract import Field as ExtractField
from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class SetVariableParams(NodeParams):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Variable name.")
    value: str | int | float | bool | None = Field(
        None, description="Literal value; strings may contain {{variables}}."
    )
    from_page: ExtractField | None = Field(
        None, description="Read the value from the page instead (its name is ignored)."
    )

    def defines(self) -> Iterator[str]:
        yield self.name

    def selectors(self) -> Selectors:
        if self.from_page and self.from_page.selector:
            yield "from_page.selector", self.from_page.selector, self.from_page.selector_type


async def run(ctx: NodeContext, params: SetVariableParams) -> Outcome:
    value = params.value
    if params.from_page is not None:
        expect = params.from_page.selector or ""
        document = await ctx.document(expect=expect)
        field = params.from_page
        value = (await ctx.off_loop(lambda: document.record([field]))).get(field.name)
    ctx.set_variable(params.name, value)
    return None


KIND = NodeKind(
    type="set_variable",
    params=SetVariableParams,
    run=run,
    label="Set variable",
    description="Set a variable to a value or to something read from the page.",
)
