"""Selectors for the builder and the extension: try them on a live page, or have them
suggested for an element the user clicked (by its path, or by a point of a screenshot).

Pages are opened by a worker (the priority queue), never by the API; suggestions for HTML the
extension sends are computed here, from the HTML alone.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import AfterValidator, Field, model_validator

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import ApiError
from api.quota import check_llm_tokens
from api.schemas import Request, Response, errors
from engine import (
    Candidate,
    EngineError,
    FieldCandidate,
    MeasuredCandidate,
    NotInItem,
    PathStep,
    Pick,
    PickedElement,
    Point,
    Probe,
    SchemaField,
    SchemaSelectors,
    SelectorMatches,
    suggest,
    suggest_list,
    suggest_within,
    validate_selector,
)
from worker.dispatch import ask_probe

router = APIRouter(prefix="/selectors", tags=["selectors"])

MAX_HTML = 5_000_000
EXAMPLE_PATH = [
    {"tag": "html", "index": 1},
    {"tag": "body", "index": 2},
    {"tag": "ul", "classes": ["products"], "index": 2},
    {"tag": "li", "classes": ["product"], "attributes": {"data-id": "p002"}, "index": 2},
]


def _a_selector(selector: str) -> str:
    if problem := validate_selector(selector):
        raise ValueError(problem)
    return selector


ItemSelector = Annotated[
    str, Field(min_length=1, max_length=2000, examples=["li.product"]), AfterValidator(_a_selector)
]
"""An extract node's item selector, checked as the engine checks one."""


class _Page(Request):
    url: str | None = Field(
        None, max_length=4000, description="The page to open.", examples=["https://shop.example/"]
    )
    html: str | None = Field(
        None, max_length=MAX_HTML, description="Or the page's HTML, as the extension captured it."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Any:
        if (self.url is None) == (self.html is None):
            raise ValueError("give either url or html")
        return self


class SelectorTest(_Page):
    selectors: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="What to try; none for just the page's screenshot, URL and title.",
        examples=[["li.product", "xpath://li[@data-id='p002']"]],
    )
    screenshot: bool = Field(True, description="Return a screenshot with the matches' boxes.")


class SelectorTestOut(Response):
    url: str
    title: str
    selectors: list[SelectorMatches]
    screenshot: str | None = Field(None, description="A PNG `data:` URI of the viewport.")


class Suggestion(_Page):
    path: list[PathStep] | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The clicked element's path, from <html> down to it.",
        examples=[EXAMPLE_PATH],
    )
    examples: list[list[PathStep]] | None = Field(
        None,
        min_length=1,
        max_length=2,
        description="Or one or two items of a list the user clicked: item selectors come back.",
    )

    within: ItemSelector | None = Field(
        None,
        description="With path: an extract node's item_selector; the candidates are then field "
        "selectors relative to the item around the element, each with the items it matches in.",
    )

    @model_validator(mode="after")
    def _one_question(self) -> Any:
        if (self.path is None) == (self.examples is None):
            raise ValueError("give either path (one element) or examples (a list's items)")
        if self.within is not None and self.path is None:
            raise ValueError("within goes with path: the element to read in each item")
        return self


class SuggestionOut(Response):
    candidates: list[FieldCandidate] | list[Candidate] = Field(
        description="Most stable first; field selectors (with `items`) when asked `within`."
    )


class AtPoint(_Page):
    points: list[Point] = Field(
        min_length=1,
        max_length=2,
        description="Where the user clicked on the screenshot /selectors/test returned (the "
        "same viewport), as fractions of its width and height: one point for the element "
        "there, or two on two items of a list for item selectors.",
        examples=[[{"x": 0.42, "y": 0.56}]],
    )
    within: ItemSelector | None = Field(
        None,
        description="An extract node's item_selector: with one point, the candidates are field "
        "selectors relative to the item around the element (as the node's fields are), for "
        "the element in every item; a point outside the items is refused.",
    )

    @model_validator(mode="after")
    def _one_point_within(self) -> Any:
        if self.within is not None and len(self.points) != 1:
            raise ValueError("within takes one point: the element to read in each item")
        return self


class AtPointOut(Response):
    url: str
    title: str
    elements: list[PickedElement] = Field(description="The element under each point, in order.")
    candidates: list[MeasuredCandidate] = Field(
        description="Most stable first, each with its matches on the live page: for one point "
        "the element's selectors, for two the item selectors of their list (none when nothing "
        "around them repeats); with `within`, field selectors relative to the item: `count` "
        "is then the items they match in, `matches` the elements in all items, `boxes` theirs."
    )
    screenshot: str = Field(
        description="A PNG `data:` URI of the viewport, the first candidate's matches outlined."
    )


class FromSchema(_Page):
    fields: list[SchemaField] = Field(
        min_length=1,
        max_length=50,
        description="The schema of an llm_extract node.",
        examples=[[{"name": "name", "description": "Product name"}, {"name": "price"}]],
    )
    mode: Literal["single", "list"] = Field("list", description="One record, or many items.")
    provider: str | None = Field(None, description="The model endpoint; empty for the default.")
    model: str | None = None


async def _ask(
    db: store.Session, ctx: ContextDep, request: dict[str, Any], wait: timedelta
) -> dict[str, Any]:
    """A worker's answer to `request`; the request's database connection is given back first,
    so requests waiting on workers and models cannot take the pool from everyone else."""
    await db.rollback()
    answer = await ask_probe(
        ctx.broker, ctx.redis, request | {"within_s": wait.total_seconds()}, wait
    )
    if answer is None:
        raise ApiError(
            504, "probe_timeout", f"no worker answered within {wait.total_seconds():g} s"
        )
    if "point" in answer:
        field = f"body.points.{answer['point']}"
        message = str(answer["error"])
        raise ApiError(422, "nothing_at_point", message, [{"field": field, "message": message}])
    if "error" in answer:
        raise ApiError(422, "page_failed", str(answer["error"]), {"url": request.get("url")})
    return answer


async def _probe(db: store.Session, ctx: ContextDep, request: dict[str, Any]) -> Probe:
    answer = await _ask(db, ctx, request, ctx.settings.probe_wait)
    return Probe.model_validate_json(json.dumps(answer["probe"]))


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@router.post("/test", responses=errors(422, 504))
async def test_selectors(
    body: SelectorTest, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> SelectorTestOut:
    """Open the page on a worker and report, for each selector, how many elements it matches,
    the first ones' text and attributes, and their boxes on a screenshot."""
    found = await _probe(db, ctx, body.model_dump(exclude_none=True))
    shot = found.screenshot
    return SelectorTestOut(
        url=found.url,
        title=found.title,
        selectors=found.selectors,
        screenshot=_data_uri(shot) if shot else None,
    )


@router.post("/suggest", responses=errors(422, 504))
async def suggest_selectors(
    body: Suggestion, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> SuggestionOut:
    """Robust CSS and XPath for a clicked element (ids and data attributes over positions),
    or the item selector of a list from one or two of its items, each with its match count;
    with `within`, the element's field selectors inside the items of that item selector."""
    html = body.html
    if html is None:
        request: dict[str, Any] = {
            "url": body.url,
            "selectors": [],
            "screenshot": False,
            "want_html": True,
        }
        html = (await _probe(db, ctx, request)).html or ""
    try:
        if body.path is not None and body.within is not None:
            return SuggestionOut(candidates=suggest_within(html, body.within, body.path))
        if body.path is not None:
            return SuggestionOut(candidates=suggest(html, body.path))
        return SuggestionOut(candidates=suggest_list(html, body.examples or []))
    except NotInItem as exc:
        raise ApiError(422, "not_in_item", str(exc)) from exc
    except EngineError as exc:
        raise ApiError(422, "element_not_found", str(exc)) from exc


@router.post("/at-point", responses=errors(422, 504))
async def selectors_at_point(
    body: AtPoint, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> AtPointOut:
    """Open the page on a worker, take the element under each point of its screenshot and
    rank selectors for it (for two points, for the list both are items of; with `within`,
    relative to its item), each measured on the page; a point on the background, a frame, a
    closed shadow root or outside the items is refused."""
    answer = await _ask(
        db, ctx, body.model_dump(mode="json", exclude_none=True), ctx.settings.probe_wait
    )
    found = Pick.model_validate_json(json.dumps(answer["pick"]))
    return AtPointOut(
        url=found.url,
        title=found.title,
        elements=found.elements,
        candidates=found.candidates,
        screenshot=_data_uri(found.screenshot),
    )


@router.post("/from-schema", responses=errors(402, 422, 504))
async def selectors_from_schema(
    body: FromSchema, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> SchemaSelectors:
    """A model proposes CSS selectors for the schema's fields on the page (opened by a worker);
    each is tried there, and `extract` holds an extract node's parameters with those that
    worked, so the bot can run without the model. The tokens count in the month's usage."""
    await check_llm_tokens(db, ctx, user)
    schema = body.model_dump(mode="json", include={"fields", "mode", "provider", "model"})
    request: dict[str, Any] = {
        **body.model_dump(exclude_none=True, include={"url", "html"}),
        "selectors": [],
        "schema": {**schema, "user_id": str(user.id)},
    }
    answer = await _ask(db, ctx, request, ctx.settings.schema_wait)
    return SchemaSelectors.model_validate(answer["schema_selectors"])
