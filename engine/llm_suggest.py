"""Selectors from a model: given a page and a schema, the model proposes CSS selectors, each is
tried on the page, and what works becomes an extract node's parameters — so the bot can run
later without the model. A field whose selector matched nothing is asked about once more, with
what went wrong."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field
from selectolax.lexbor import LexborHTMLParser

from engine._markdown import drop
from engine._schema import SchemaField, extract_field, typed
from engine.errors import SelectorError, StepError
from engine.events import LlmUsage
from engine.extract import Document
from engine.llm import Llm
from engine.selectors import validate_selector

SAMPLES = 3
TEXT_CHARS = 80
_KEPT = re.compile(r"^(id|class|href|src|alt|title|name|role|itemprop|aria-label|data-[\w-]+)$")

SYSTEM = (
    "You write CSS selectors for a web scraper. Given a page's HTML and the fields wanted, "
    "answer with a selector for each field that reads its value from the page. Prefer stable "
    'ids, classes and data attributes over positions such as :nth-child. value is "text" for '
    'the element\'s text, or "attr:NAME" for an attribute (attr:href for links, attr:src for '
    "images)."
)
LIST = (
    " The page lists many items: give item_selector, matching each item once, and field "
    "selectors relative to an item."
)


class _FieldAnswer(BaseModel):
    name: str = Field(description="The field's name, exactly as given.")
    selector: str = Field(description="CSS selector.")
    value: str = Field("text", description='"text" or "attr:NAME".')


class _Answer(BaseModel):
    item_selector: str | None = Field(None, description="For a list: matches each item once.")
    fields: list[_FieldAnswer]


class SuggestedField(BaseModel):
    """One field's selector and how it fared on the page."""

    name: str
    selector: str | None
    value: str = "text"
    matched: int = Field(description="Items (or, for one record, 1) where it found a value.")
    samples: list[Any] = Field(description=f"Its first {SAMPLES} values.")
    error: str | None = None


class SchemaSelectors(BaseModel):
    """The model's selectors, verified: `extract` holds those that work, ready for a node."""

    mode: Literal["single", "list"]
    item_selector: str | None
    items: int | None = Field(description="Items item_selector matched (list mode).")
    fields: list[SuggestedField]
    extract: dict[str, Any] | None = Field(
        description="Parameters of an extract node with the fields that matched; None if none."
    )
    model: str
    tokens_in: int
    tokens_out: int


def page_outline(html: str) -> str:
    """The page's body as the model needs it to write selectors: tags, ids, classes and the
    attributes that carry values, text cut short, scripts and styles gone."""
    tree = LexborHTMLParser(html)
    body = tree.body or tree.root
    if body is None:
        return ""
    drop(body.css("script, style, noscript, template, svg, canvas, iframe, link, meta"))
    for node in body.css("*"):
        for name in [n for n in node.attributes if not _KEPT.match(n)]:
            del node.attrs[name]
    html = re.sub(r">\s+<", "><", body.html or "").strip()
    return re.sub(rf">([^<]{{{TEXT_CHARS}}})[^<]+<", r">\1…<", html)


async def suggest_selectors(
    llm: Llm,
    html: str,
    url: str,
    fields: list[SchemaField],
    *,
    mode: Literal["single", "list"],
    provider: str | None = None,
    model: str | None = None,
) -> SchemaSelectors:
    """Ask the model for selectors of `fields` on the page, try them, ask again about those
    that matched nothing, and return what works."""
    document = Document(html, url)
    usage = LlmUsage()
    wanted = "\n".join(
        f"- {f.name} ({f.type}{', a list' if f.many else ''}): {f.description or 'no description'}"
        for f in fields
    )
    system = SYSTEM + (LIST if mode == "list" else "")
    text = f"Fields wanted:\n{wanted}\n\nHTML:\n{page_outline(html)}"
    answer = await _ask(llm, system, text, url, usage, provider, model)
    tried = _try(document, answer, fields, mode)
    failed = [f for f in tried.fields if f.matched == 0]
    if failed or (mode == "list" and not tried.items):
        notes = [f"- {f.name}: {f.selector!r} {f.error or 'matched nothing'}" for f in failed]
        if mode == "list" and not tried.items:
            notes.insert(0, f"- item_selector {answer.item_selector!r} matched no item")
        again = f"{text}\n\nYour previous selectors did not work:\n" + "\n".join(notes)
        second = _try(
            document, await _ask(llm, system, again, url, usage, provider, model), fields, mode
        )
        tried = _better(tried, second)
    return tried.model_copy(
        update={"model": usage.model, "tokens_in": usage.tokens_in, "tokens_out": usage.tokens_out}
    )


async def _ask(
    llm: Llm,
    system: str,
    text: str,
    url: str,
    usage: LlmUsage,
    provider: str | None,
    model: str | None,
) -> _Answer:
    [answer] = await llm.ask(
        provider=provider,
        model=model,
        answer=_Answer,
        system=system,
        text=text,
        url=url,
        temperature=0,
        reasks=2,
        usage=usage,
        whole=False,  # the top of a page shows its structure; items repeat below
    )
    assert isinstance(answer, _Answer)
    return answer


def _try(
    document: Document, answer: _Answer, fields: list[SchemaField], mode: str
) -> SchemaSelectors:
    given = {f.name: f for f in answer.fields}
    item = answer.item_selector if mode == "list" else None
    items: int | None = None
    if mode == "list":
        problem = validate_selector(item) if item else "no item_selector"
        items = 0 if problem else document.count(item or "")
    out: list[SuggestedField] = []
    for field in fields:
        proposal = given.get(field.name)
        if proposal is None:
            out.append(
                SuggestedField(
                    name=field.name,
                    selector=None,
                    matched=0,
                    samples=[],
                    error="no selector proposed",
                )
            )
            continue
        out.append(_field(document, item if items else None, proposal, field, mode))
    working = [f for f in out if f.matched]
    specs = {f.name: f for f in fields}
    extract = None
    if working and (mode == "single" or items):
        extract = {
            "mode": mode,
            **({"item_selector": item} if mode == "list" else {}),
            "fields": [
                {
                    "name": f.name,
                    "selector": f.selector,
                    "value": f.value,
                    **({"many": True} if spec.many else {}),
                    **({"transforms": typed(spec)} if typed(spec) else {}),
                }
                for f, spec in ((f, specs[f.name]) for f in working)
            ],
        }
    return SchemaSelectors(
        mode=mode,
        item_selector=item,
        items=items,
        fields=out,
        extract=extract,
        model="",
        tokens_in=0,
        tokens_out=0,
    )


def _field(
    document: Document, item: str | None, proposal: _FieldAnswer, field: SchemaField, mode: str
) -> SuggestedField:
    base = SuggestedField(
        name=field.name, selector=proposal.selector, value=proposal.value, matched=0, samples=[]
    )
    problem = validate_selector(proposal.selector)
    if problem:
        return base.model_copy(update={"error": problem})
    try:
        spec = extract_field(field, proposal.selector, proposal.value)
    except ValueError as exc:
        return base.model_copy(update={"error": str(exc).splitlines()[-1]})
    try:
        if mode == "list":
            if item is None:
                return base.model_copy(update={"error": "no item to read it in"})
            values = [row[field.name] for row in document.items(item, [spec])]
        else:
            values = [document.record([spec])[field.name]]
    except (SelectorError, StepError) as exc:
        return base.model_copy(update={"error": str(exc)})
    found = [v for v in values if v not in (None, "", [])]
    return base.model_copy(update={"matched": len(found), "samples": found[:SAMPLES]})


def _better(first: SchemaSelectors, second: SchemaSelectors) -> SchemaSelectors:
    """The answer that works better: items found first, then fields that matched."""

    def score(tried: SchemaSelectors) -> tuple[bool, int]:
        found = tried.mode == "single" or bool(tried.items)
        return found, sum(f.matched > 0 for f in tried.fields)

    return second if score(second) > score(first) else first
