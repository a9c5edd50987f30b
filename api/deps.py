"""What routes depend on: the app's context, a session, the signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

import store
from api._config import ApiSettings
from api.errors import ApiError
from api.security import AccessTokens
from worker.dispatch import Broker


@dataclass
class Context:
    """Built once in the app's lifespan, closed at shutdown."""

    settings: ApiSettings
    db: store.Database
    broker: Broker
    tokens: AccessTokens
    artifacts: store.ArtifactStore
    redis: aioredis.Redis

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def context(request: Request) -> Context:
    found: Context = request.app.state.context
    return found


ContextDep = Annotated[Context, Depends(context)]


async def session(ctx: ContextDep) -> AsyncIterator[store.Session]:
    """A session per request; routes commit what they write, the rest is rolled back."""
    async with ctx.db.session() as opened:
        yield opened


SessionDep = Annotated[store.Session, Depends(session)]

_bearer = HTTPBearer(auto_error=False, description="An access token from /auth/login.")


async def current_user(
    ctx: ContextDep,
    db: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> store.User:
    if credentials is None:
        raise ApiError(401, "unauthorized", "sign in: send Authorization: Bearer <access token>")
    user_id = ctx.tokens.read(credentials.credentials)
    user = await db.get(store.User, user_id) if user_id else None
    if user is None:
        raise ApiError(401, "unauthorized", "the access token is invalid or has expired")
    return user


CurrentUser = Annotated[store.User, Depends(current_user)]
