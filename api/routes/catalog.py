"""The node catalog the visual builder renders its palette and property panels from."""

from __future__ import annotations

import functools
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from api.deps import CurrentUser
from api.schemas import Catalog, NodeKindOut, SettingsCatalog, VariablesCatalog
from engine import KINDS, BotSettings, Variable

router = APIRouter(prefix="/nodes", tags=["builder"])

# The catalog changes only with a deployment; the ETag makes a stale copy cheap to check.
CACHE_CONTROL = "private, max-age=300"


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The default of every field that has one, as JSON, keyed as in the model's schema."""
    return {
        field.alias or name: to_jsonable_python(
            field.get_default(call_default_factory=True), by_alias=True
        )
        for name, field in model.model_fields.items()
        if not field.is_required()
    }


@functools.cache
def _catalog() -> tuple[bytes, str]:
    """The catalog as JSON and its ETag, built once per process from the engine's registry."""
    catalog = Catalog(
        nodes=[
            NodeKindOut(
                type=kind.type,
                label=kind.label,
                description=kind.description,
                browser_only=kind.browser_only,
                handles=list(kind.handles),
                loop=kind.loop,
                schema=kind.params.model_json_schema(),
                defaults=_defaults(kind.params),
            )
            for kind in KINDS.values()
        ],
        settings=SettingsCatalog(
            schema=BotSettings.model_json_schema(), defaults=_defaults(BotSettings)
        ),
        variables=VariablesCatalog(
            schema=Variable.model_json_schema(), defaults=_defaults(Variable)
        ),
    )
    body = catalog.model_dump_json(by_alias=True).encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get(
    "",
    response_model=Catalog,
    responses={304: {"description": "Not modified: the catalog still has the ETag sent."}},
)
async def node_catalog(
    _user: CurrentUser,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """Every node kind with the JSON Schema and defaults of its `data`, the bot settings and
    the schema of one bot variable.

    Cacheable: send the ETag back as If-None-Match to get 304 while it is unchanged.
    """
    body, etag = _catalog()
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
