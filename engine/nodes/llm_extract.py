"""llm_extract: rows that fit the bot's schema, read from the page by a language model.

The page goes to the model as Markdown (its main content, or what `content_selector` matches),
in chunks that fit the model's context; the answers are merged: rows concatenated with
duplicates dropped, or one record whose empty values later chunks may fill. Fields with a
selector are read from the page as the extract node reads them, so the model only does the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from engine._markdown import page_markdown
from engine._schema import SchemaField, build_model, rows_model, typed, unique_names
from engine.events import LlmUsage
from engine.extract import Document
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
        if all(f.selector for f in self.fields):
            raise ValueError("every field has a selector: use an extract node, no model needed")
        for field in self.fields:
            if any(sub.selector for sub in _nested(field)):
                raise ValueError(f"field {field.name!r}: only top-level fields take a selector")
        return self

    def selectors(self) -> Selectors:
        if self.content_selector:
            yield "content_selector", self.content_selector, None
        for index, field in enumerate(self.fields):
            if field.selector:
                yield f"fields[{index}].selector", field.selector, field.selector_type

    def defines(self) -> Iterator[str]:
        if self.save_as:
            yield self.save_as


def _nested(field: SchemaField) -> Iterator[SchemaField]:
    for sub in field.fields:
        yield sub
        yield from _nested(sub)


async def run(ctx: NodeContext, params: LlmExtractParams) -> Outcome:
    page = ctx.page
    html = await page.content()
    text = page_markdown(html, page.url, params.content_selector)
    row = build_model("Row", params.fields)
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
    selected = _selected(ctx, html, params.fields)
    if params.mode == "list":
        found = _unique_rows(row for a in answers for row in _dump(a)["rows"])
        rows = [{**row, **selected} for row in found][: params.limit]
        if params.save_as:
            ctx.set_variable(params.save_as, rows)
        await ctx.emit_rows(_in_order(rows, params.fields))
        return None
    record = _in_order([_merged(answers) | selected], params.fields)[0]
    if params.save_as:
        ctx.set_variable(params.save_as, record)
    ctx.merge_record(record)
    return None


def _selected(ctx: NodeContext, html: str, fields: list[SchemaField]) -> dict[str, Any]:
    """The hybrid part: fields with a selector, read from the page itself."""
    wanted = [
        ExtractField(
            name=f.name,
            selector=f.selector,
            selector_type=f.selector_type,
            value=f.value,
            many=f.many,
            transforms=typed(f),
        )
        for f in fields
        if f.selector
    ]
    if not wanted:
        return {}
    for field in wanted:
        assert field.selector is not None
        ctx.note_selector(field.selector)
    return Document(html, ctx.page.url).record(wanted)


def _dump(answer: BaseModel) -> dict[str, Any]:
    return answer.model_dump(mode="json", by_alias=True)


def _key(row: dict[str, Any]) -> str:
    def norm(value: Any) -> Any:
        return " ".join(value.split()).casefold() if isinstance(value, str) else value

    return json.dumps({k: norm(v) for k, v in row.items()}, sort_keys=True, default=str)


def _unique_rows(rows: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in order, each once: a row repeated across chunks (or by the model) is dropped."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(_key(row), row)
    return list(seen.values())


def _merged(answers: list[BaseModel]) -> dict[str, Any]:
    """One record from the chunks' answers: the first value given wins; lists are joined."""
    record: dict[str, Any] = {}
    for answer in answers:
        for name, value in _dump(answer).items():
            if isinstance(value, list):
                known = record.setdefault(name, [])
                known.extend(v for v in value if v not in known)
            elif record.get(name) is None:
                record[name] = value
    return record


def _in_order(rows: list[dict[str, Any]], fields: list[SchemaField]) -> list[dict[str, Any]]:
    names = [f.name for f in fields]
    return [{name: row.get(name) for name in names} for row in rows]


KIND = NodeKind(
    type="llm_extract",
    params=LlmExtractParams,
    run=run,
    label="Extract with AI",
    description="A language model reads the page and fills the schema: one record or many rows.",
    self_limited=True,
)
