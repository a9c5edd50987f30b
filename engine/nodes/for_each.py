"""for_each: open each link or item of a list in its own page and run the `body` sub-flow there."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.errors import LimitReached, StepError
from engine.extract import Field as ExtractField
from engine.extract import Fields, page_link
from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors
from engine.nodes.extract import field_selectors

if TYPE_CHECKING:
    from engine.context import NodeContext

_URL = "__trawler_url"
_ANY_LINK = "__trawler_link"


class ForEachParams(NodeParams):
    selector: str | None = Field(
        None, min_length=1, description="The items (or links) on the current page."
    )
    items: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Instead of a selector: a list variable, such as an extract's collect_as "
        "gathered over a paginate's pages; each entry is a URL or a record with a `url` field "
        "(its other fields start the row).",
    )
    skip_seen: bool = Field(
        True,
        description="Open a URL once per run: an item whose link this run already opened (in "
        "any for_each) is left out, with its row.",
    )
    link: str | None = Field(
        None, description="Inside each item, the link to open; default: the item's own link."
    )
    fields: Fields = Field(
        default_factory=list, description="Read from each item here; the body adds to this row."
    )
    concurrency: int | None = Field(
        None, ge=1, le=32, description="Item pages open at once; default from settings."
    )
    limit: int | None = Field(None, gt=0, description="At most this many items.")

    @model_validator(mode="after")
    def _one_source(self) -> ForEachParams:
        if (self.selector is None) == (self.items is None):
            raise ValueError("give either selector (items on the page) or items (a variable)")
        if self.items is not None and (self.link or self.fields):
            raise ValueError("items come from a variable, so take no link or fields")
        return self

    def uses(self) -> Iterator[tuple[str, str]]:
        if self.items:
            yield "items", self.items

    def selectors(self) -> Selectors:
        if self.selector:
            yield "selector", self.selector, None
        if self.link:
            yield "link", self.link, None
        yield from field_selectors(self.fields, "fields")


def _link_fields(params: ForEachParams) -> list[ExtractField]:
    fields = [ExtractField(name=_URL, selector=params.link, value="attr:href")]
    if params.link is None:
        fields.append(ExtractField(name=_ANY_LINK, selector="a[href]", value="attr:href"))
    return [*params.fields, *fields]


def _concurrency(ctx: NodeContext, params: ForEachParams) -> int:
    """Bounded so that item pages running a nested for_each never hold every page slot."""
    wanted = params.concurrency or ctx.settings.concurrency
    capacity = ctx.run.renderers.capacity()
    body = ctx.run.graph.body(ctx.node_id)
    if capacity is None or not any(ctx.run.nodes[n].type == "for_each" for n in body):
        return wanted
    allowed = max(1, capacity - 2)  # the run's own page, and one for the inner loop's items
    if wanted > allowed:
        ctx.log("info", f"concurrency {wanted} lowered to {allowed}: the body has a for_each")
    return min(wanted, allowed)


def _listed(ctx: NodeContext, name: str, limit: int | None) -> list[dict[str, Any]]:
    """The items of list variable `name`: URLs, or records with a `url` field."""
    value = ctx.variables.get(name)
    if not isinstance(value, list):
        got = "nothing" if value is None else type(value).__name__
        raise StepError(f"field 'items': variable {name!r} holds {got}, not a list")
    items = []
    for entry in value[:limit]:
        if isinstance(entry, str):
            items.append({_URL: entry})
        elif isinstance(entry, dict):
            record = dict(entry)
            url = record.pop("url", None)
            items.append({**record, _URL: url})
        else:
            raise StepError(f"field 'items': {name!r} holds a {type(entry).__name__}, not a URL")
    return items


async def _page_items(ctx: NodeContext, params: ForEachParams) -> list[dict[str, Any]]:
    selector = params.selector
    assert selector is not None
    document = await ctx.document(expect=selector)
    ctx.note_selector(selector)
    fields = _link_fields(params)
    items = await ctx.off_loop(lambda: document.items(selector, fields, limit=params.limit))
    if not items:
        ctx.log("warning", f"selector {selector!r} matched nothing")
    return items


async def _finished_items(ctx: NodeContext, done: dict[int, list[dict[str, Any]]]) -> None:
    """The rows of items that finished while an earlier one was still running, in order:
    the loop stops, and what they found is kept."""
    for index in sorted(done):
        await ctx.emit_rows(done.pop(index))


async def run(ctx: NodeContext, params: ForEachParams) -> Outcome:
    if params.items:
        items = _listed(ctx, params.items, params.limit)
    else:
        items = await _page_items(ctx, params)
    seen_before = 0
    limit = asyncio.Semaphore(_concurrency(ctx, params))
    done: dict[int, list[dict[str, Any]]] = {}
    emitted = 0
    emit_lock = asyncio.Lock()
    reached: list[LimitReached] = []

    async def one(index: int, item: dict[str, Any]) -> None:
        nonlocal emitted, seen_before
        href = item.pop(_URL, None) or item.pop(_ANY_LINK, None)
        item.pop(_ANY_LINK, None)
        link = page_link(href) if href else None
        url = ctx.absolute_url(link) if link else None
        claimed = url is not None and params.skip_seen
        if url is not None and claimed and not ctx.run.first_visit(url):
            seen_before += 1
            rows: list[dict[str, Any]] = []
        else:
            async with limit:
                if url is None:
                    ctx.log(
                        "warning",
                        f"item {index + 1} has no link to open ({href!r}); kept its fields only",
                    )
                    rows = [item] if item else []
                else:
                    variables = {"item": {**item, "url": url, "index": index}}
                    try:
                        result = await ctx.run_branch(
                            "body", url=url, record=item, variables=variables
                        )
                        rows = result.rows
                        if result.unopened and claimed:
                            ctx.run.unvisit(url)
                    except LimitReached as exc:  # max_pages: items already loading still finish
                        reached.append(exc)
                        rows = []
        async with emit_lock:  # rows go out in the order of the items on the page
            done[index] = rows
            while emitted in done:
                await ctx.emit_rows(done.pop(emitted))
                emitted += 1

    try:
        async with asyncio.TaskGroup() as group:
            for index, item in enumerate(items):
                group.create_task(one(index, item))
    except ExceptionGroup as failed:
        first = failed.exceptions[0]  # the others were cancelled because of it, if any
        if not isinstance(first, LimitReached):
            await _finished_items(ctx, done)
        raise first from None
    except asyncio.CancelledError:  # a cancel request or the run's time limit
        with suppress(LimitReached):  # max_rows met on the way: it stays a stop all the same
            await _finished_items(ctx, done)
        raise
    if seen_before:
        ctx.note(f"{seen_before} of {len(items)} items left out: their page was already opened")
    if reached:
        raise reached[0]
    return None


KIND = NodeKind(
    type="for_each",
    params=ForEachParams,
    run=run,
    label="For each",
    description=(
        "Open each item's link in its own page (several at once) and run the 'body' sub-flow "
        "there; the body's fields are merged into the item's row."
    ),
    handles=("body",),
    loop=True,
)
