"""extract: one record from the page, or a list of items, in one read of the page's HTML."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from engine.extract import Field as ExtractField
from engine.extract import Fields
from engine.nodes._base import FrameField, NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class ExtractParams(NodeParams):
    mode: Literal["single", "list"] = Field(
        "list",
        description=(
            "single: merge the fields into the current row (emitted when its scope ends); "
            "list: one row per item."
        ),
    )
    item_selector: str | None = Field(None, description="For list: one match per row.")
    fields: Fields = Field(min_length=1, description="What to read.")
    limit: int | None = Field(None, gt=0, description="For list: at most this many items.")
    save_as: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Also store the result here."
    )
    collect_as: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Append the rows (or the record) to this run-wide list instead of the "
        "output: e.g. links gathered over every page of a paginate, for a for_each's items.",
    )
    frame: FrameField = None

    @model_validator(mode="after")
    def _list_needs_items(self) -> ExtractParams:
        if self.mode == "list" and not self.item_selector:
            raise ValueError("mode 'list' needs item_selector")
        return self

    def selectors(self) -> Selectors:
        if self.item_selector:
            yield "item_selector", self.item_selector, None
        yield from field_selectors(self.fields, "fields")

    def defines(self) -> Iterator[str]:
        if self.save_as:
            yield self.save_as
        if self.collect_as:
            yield self.collect_as


def field_selectors(fields: list[ExtractField], path: str) -> Selectors:
    for index, field in enumerate(fields):
        if field.selector:
            yield f"{path}[{index}].selector", field.selector, field.selector_type
        yield from field_selectors(field.fields, f"{path}[{index}].fields")


async def run(ctx: NodeContext, params: ExtractParams) -> Outcome:
    if params.mode == "list":
        assert params.item_selector is not None
        document = await ctx.document(expect=params.item_selector, frame=params.frames())
        selector, fields, limit = params.item_selector, params.fields, params.limit
        rows = await ctx.off_loop(lambda: document.items(selector, fields, limit=limit))
        ctx.note_selector(params.item_selector)
        if not rows:
            ctx.log("warning", f"item_selector {params.item_selector!r} matched nothing")
        if params.save_as:
            ctx.set_variable(params.save_as, rows)
        if params.collect_as:
            ctx.run.collect(params.collect_as, rows)
        else:
            await ctx.emit_rows(rows)
        return None
    first = next((f.selector for f in params.fields if f.selector), "")
    document = await ctx.document(expect=first, frame=params.frames())
    record = await ctx.off_loop(lambda: document.record(params.fields))
    missing = [name for name, value in record.items() if value in (None, [])]
    if missing:
        ctx.log("warning", f"fields matched nothing: {', '.join(missing)}")
    if params.save_as:
        ctx.set_variable(params.save_as, record)
    if params.collect_as:
        ctx.run.collect(params.collect_as, [record])
    else:
        ctx.merge_record(record)
    return None


KIND = NodeKind(
    type="extract",
    params=ExtractParams,
    run=run,
    label="Extract",
    description="Read fields by CSS or XPath: one record, or one row per list item.",
)
