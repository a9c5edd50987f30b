"""llm_extract: rows that fit the bot's schema, read from the page by a language model.

The page goes to the model as Markdown (its main content, or what `content_selector` matches),
in chunks that fit the model's context; the answers are merged: rows concatenated with
duplicates dropped, or one record whose empty values later chunks may fill. Fields with a
selector are read from the page as the extract node reads them, so the model only does the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, create_model, field_validator, model_validator

from engine._markdown import page_markdown
from engine._schema import (
    SchemaField,
    build_model,
    dump,
    extract_field,
    in_order,
    merged,
    rows_model,
    unique_rows,
)
from engine.events import LlmUsage
from engine.extract import Document, unique_names
from engine.extract import Field as ExtractField
from engine.llm import instructions
from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors

if TYPE_CHECKING:
    from engine.context import NodeContext


class LlmExtractParams(NodeParams):
    mode: Literal["single", "list"] = Field(
        "list", description="single: one record for the page; list: one row per item it lists."
    )
    fields: list[SchemaField] = Field(min_length=1, description="The schema of a row.")
    prompt: str | None = Field(
        None, max_length=4000, description="Extra instructions for the model."
    )
    content_selector: str | None = Field(
        None, description="Give the model only what this CSS or XPath selector matches."
    )
    item_selector: str | None = Field(
        None,
        description="For list: one match per item; the model sees the items numbered and says "
        "which item each row is, so fields with a selector are read inside that item (without "
        "it, they are read once from the page and go in every row).",
    )
    provider: str | None = Field(
        None, description="The model endpoint by name (ollama, openai); empty for the default."
    )
    model: str | None = Field(None, description="The model; empty for the endpoint's default.")
    temperature: float = Field(0.0, ge=0, le=2, description="0 answers most consistently.")
    reasks: int = Field(
        2, ge=0, le=5, description="Times to ask again when an answer does not fit the schema."
    )
    limit: int | None = Field(None, gt=0, description="For list: at most this many rows.")
    save_as: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Also store the result here."
    )

    @field_validator("fields")
    @classmethod
    def _unique(cls, fields: list[SchemaField]) -> list[SchemaField]:
        return unique_names(fields)

    @model_validator(mode="after")
    def _model_has_work(self) -> LlmExtractParams:
        if self.item_selector and self.mode != "list":
            raise ValueError("item_selector needs mode 'list'")
        if self.item_selector and any(f.name == ITEM for f in self.fields):
            raise ValueError(f"with item_selector, {ITEM!r} names the item: rename that field")
        if all(f.selector for f in self.fields):
            raise ValueError("every field has a selector: use an extract node, no model needed")
        for field in self.fields:
            if any(sub.selector for sub in _nested(field)):
                raise ValueError(f"field {field.name!r}: only top-level fields take a selector")
        return self

    def selectors(self) -> Selectors:
        if self.content_selector:
            yield "content_selector", self.content_selector, None
        if self.item_selector:
            yield "item_selector", self.item_selector, None
        for index, field in enumerate(self.fields):
            if field.selector:
                yield f"fields[{index}].selector", field.selector, field.selector_type

    def defines(self) -> Iterator[str]:
        if self.save_as:
            yield self.save_as


ITEM = "item_number"
"""With item_selector: the row's item, as the model numbered it (from 1)."""


def _nested(field: SchemaField) -> Iterator[SchemaField]:
    for sub in field.fields:
        yield sub
        yield from _nested(sub)


async def run(ctx: NodeContext, params: LlmExtractParams) -> Outcome:
    page = ctx.page
    html = await page.content()
    document = Document(html, page.url)
    row = build_model("Row", params.fields)
    items: list[str] = []
    if params.item_selector:
        items = _items(ctx, document, params.item_selector)
        if not items:
            ctx.log("warning", f"item_selector {params.item_selector!r} matched nothing")
            return None
        text = "\n\n".join(
            f"## Item {n}\n\n{page_markdown(item, page.url)}" for n, item in enumerate(items, 1)
        )
        number = Field(alias=ITEM, ge=1, le=len(items), description="The item's number.")
        row = create_model("ItemRow", __base__=row, item_number=(int, number))
    else:
        text = page_markdown(html, page.url, params.content_selector)
    answer = rows_model(row) if params.mode == "list" else row
    usage = ctx.notes.llm = LlmUsage()
    try:
        answers = await ctx.run.llm.ask(
            provider=params.provider,
            model=params.model,
            answer=answer,
            system=instructions(params.mode == "list", params.prompt),
            text=text,
            url=page.url,
            temperature=params.temperature,
            reasks=params.reasks,
            usage=usage,
        )
    finally:
        ctx.log(
            "info",
            f"{usage.model}: {usage.calls} call(s), {usage.tokens_in} tokens in, "
            f"{usage.tokens_out} out, {usage.latency_ms:.0f} ms",
        )
    # the hybrid part: fields with a selector, read once from the page or in each item
    item_selector = params.item_selector if items else None
    selected = await _selected(ctx, document, params.fields, item_selector)
    if params.mode == "list":
        found = unique_rows(row for a in answers for row in dump(a)["rows"])
        rows = [
            {**row, **(selected[row.pop(ITEM) - 1] if items else selected[0])} for row in found
        ][: params.limit]
        if params.save_as:
            ctx.set_variable(params.save_as, rows)
        await ctx.emit_rows(in_order(rows, params.fields))
        return None
    record = in_order([merged(answers) | selected[0]], params.fields)[0]
    if params.save_as:
        ctx.set_variable(params.save_as, record)
    ctx.merge_record(record)
    return None


def _items(ctx: NodeContext, document: Document, item_selector: str) -> list[str]:
    ctx.note_selector(item_selector)
    every = ExtractField(name="item", selector=item_selector, value="html", many=True)
    found: list[str] = document.record([every])["item"]
    return found


async def _selected(
    ctx: NodeContext, document: Document, fields: list[SchemaField], item_selector: str | None
) -> list[dict[str, Any]]:
    """The values of the fields with a selector: one record for the page, or one per item."""
    wanted = [extract_field(f) for f in fields if f.selector]
    for field in wanted:
        ctx.note_selector(field.selector or "")
    if item_selector:
        return await ctx.off_loop(lambda: document.items(item_selector, wanted))
    return [await ctx.off_loop(lambda: document.record(wanted))]


KIND = NodeKind(
    type="llm_extract",
    params=LlmExtractParams,
    run=run,
    label="Extract with AI",
    description="A language model reads the page and fills the schema: one record or many rows.",
    self_limited=True,
)


def asks_model(document: Mapping[str, Any]) -> bool:
    """Whether a bot document (as stored) has a node of this kind: its runs spend LLM tokens."""
    return any(node.get("type") == KIND.type for node in document.get("nodes", []))
