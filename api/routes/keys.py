"""API keys for the extension and scripts: shown once at creation, stored hashed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import not_found
from api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from api.security import new_api_key

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", status_code=201)
async def create_key(body: ApiKeyIn, user: CurrentUser, db: SessionDep) -> ApiKeyCreated:
    """A new key; send it as `X-API-Key` (or as the bearer token). It is not shown again."""
    key, prefix, key_hash = new_api_key()
    stored = await store.add_api_key(db, user.id, body.name, prefix, key_hash)
    await db.commit()
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(stored).model_dump(), "key": key}
    )


@router.get("")
async def list_keys(user: CurrentUser, db: SessionDep) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(key) for key in await store.api_keys(db, user.id)]


@router.delete("/{key_id}", status_code=204)
async def revoke_key(key_id: uuid.UUID, user: CurrentUser, db: SessionDep, ctx: ContextDep) -> None:
    """The key stops working at once."""
    key = await store.own_api_key(db, user.id, key_id)
    if key is None:
        raise not_found("API key")
    if key.revoked_at is None:
        key.revoked_at = ctx.now()
        await db.commit()
