"""A user's own language-model endpoints: an OpenAI-compatible API (OpenAI, OpenRouter, vLLM,
LM Studio) or an Ollama server. The API key is stored encrypted and never shown again; the
account's runs reach the endpoint under the network policy, like a page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import Field, field_validator

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import ApiError, not_found
from api.schemas import Request, Response, errors

router = APIRouter(prefix="/model-endpoints", tags=["models"])


class ModelEndpointIn(Request):
    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="What an llm_extract node's `provider` names; it takes the place of the "
        "deployment's endpoint of that name for this account's runs.",
        examples=["openrouter"],
    )
    kind: Literal["openai", "ollama"] = Field(
        "openai", description="openai: any OpenAI-compatible API; ollama: an Ollama server."
    )
    base_url: str = Field(min_length=1, max_length=2000, examples=["https://openrouter.ai/api/v1"])
    model: str = Field(min_length=1, max_length=200, examples=["meta-llama/llama-3.1-8b-instruct"])
    api_key: str | None = Field(None, max_length=500, description="Stored encrypted.")
    context_tokens: int = Field(8192, ge=512, le=2_000_000, description="The model's context.")
    mode: Literal["tools", "json"] | None = Field(
        None, description="tools: function calling; json: JSON mode. Default by kind."
    )

    @field_validator("base_url")
    @classmethod
    def _http(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http or https URL with a host")
        if parts.username or parts.password:
            raise ValueError("base_url must not carry credentials: use api_key")
        return url


class ModelEndpointOut(Response):
    id: uuid.UUID
    name: str
    kind: str
    base_url: str
    model: str
    has_api_key: bool
    context_tokens: int
    mode: str | None
    created_at: datetime


def _out(record: store.ModelEndpointRecord) -> ModelEndpointOut:
    return ModelEndpointOut(
        id=record.id,
        name=record.name,
        kind=record.kind,
        base_url=record.base_url,
        model=record.model,
        has_api_key=record.api_key is not None,
        context_tokens=record.context_tokens,
        mode=record.mode,
        created_at=record.created_at,
    )


@router.get("")
async def list_model_endpoints(
    user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> list[ModelEndpointOut]:
    return [_out(r) for r in await store.model_endpoints(db, ctx.secrets, user.id)]


@router.post("", status_code=201, responses=errors(409))
async def add_model_endpoint(
    body: ModelEndpointIn, user: CurrentUser, db: SessionDep, ctx: ContextDep
) -> ModelEndpointOut:
    """Store an endpoint, its API key encrypted; a name the user already has answers 409."""
    try:
        record = await store.add_model_endpoint(
            db, ctx.secrets, user.id, **body.model_dump(exclude_none=False)
        )
    except store.Conflict as exc:
        raise ApiError(409, "conflict", f"an endpoint named {body.name!r} exists already") from exc
    await db.commit()
    return _out(record)


@router.delete("/{endpoint_id}", status_code=204)
async def delete_model_endpoint(endpoint_id: uuid.UUID, user: CurrentUser, db: SessionDep) -> None:
    if not await store.delete_model_endpoint(db, user.id, endpoint_id):
        raise not_found("model endpoint")
    await db.commit()
