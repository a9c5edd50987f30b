"""What routes depend on: the app's context, a session, the signed-in user."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

import store
from api._config import ApiSettings
from api.errors import ApiError, Unavailable
from api.ratelimit import Backoff, RateLimiter, Throttled
from api.security import AccessTokens, api_key_prefix, digest
from proxies import NetworkPolicy
from worker.dispatch import Broker

log = logging.getLogger(__name__)


@dataclass
class Context:
    """Built once in the app's lifespan, closed at shutdown."""

    settings: ApiSettings
    db: store.Database
    broker: Broker
    tokens: AccessTokens
    artifacts: store.ArtifactStore
    secrets: store.SecretBox
    redis: aioredis.Redis
    limiter: RateLimiter
    backoff: Backoff
    policy: NetworkPolicy = field(default_factory=NetworkPolicy)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def context(request: Request) -> Context:
    found: Context = request.app.state.context
    return found


ContextDep = Annotated[Context, Depends(context)]


KEY_USE_RESOLUTION = timedelta(minutes=1)


async def session(ctx: ContextDep) -> AsyncIterator[store.Session]:
    """A session per request; routes commit what they write, the rest is rolled back."""
    async with ctx.db.session() as opened:
        yield opened


SessionDep = Annotated[store.Session, Depends(session)]

_bearer = HTTPBearer(
    auto_error=False, description="An access token from /auth/login, or an API key."
)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


async def token_user(ctx: Context, db: store.Session, token: str) -> store.User | None:
    """The user of a valid access token of the user's current token generation; None for
    anything else (a password change or signing out everywhere ended the token)."""
    claims = ctx.tokens.read(token)
    user = await db.get(store.User, claims.user_id) if claims else None
    if user is None or claims is None or claims.generation != user.token_generation:
        return None
    return user


async def current_user(
    ctx: ContextDep,
    db: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> store.User:
    """The user of an access token (`Authorization: Bearer`) or of an API key (`X-API-Key`,
    or as the bearer token)."""
    presented = api_key or (credentials.credentials if credentials else None)
    if presented is None:
        raise ApiError(401, "unauthorized", "sign in: send Authorization: Bearer <access token>")
    prefix = api_key_prefix(presented)
    user: store.User | None = None
    if prefix is not None:
        key = await store.api_key_by_prefix(db, prefix)
        if key is not None and hmac.compare_digest(key.key_hash, digest(presented)):
            user = await db.get(store.User, key.user_id)
            now = ctx.now()
            # Minute resolution is all a key list shows: no write on every request.
            if key.last_used_at is None or now - key.last_used_at > KEY_USE_RESOLUTION:
                key.last_used_at = now
                await db.commit()
    else:
        user = await token_user(ctx, db, presented)
    if user is None:
        raise ApiError(401, "unauthorized", "the access token or API key is invalid or expired")
    await _within_plan(ctx, user)
    return user


# One warning a minute while Redis is away, not one a request.
_redis_away = Throttled(timedelta(minutes=1))


async def _within_plan(ctx: Context, user: store.User) -> None:
    """Count the request against the plan's requests a minute (429 past it).

    Without Redis the count fails open: it shares capacity fairly, while what costs (runs,
    rows and model tokens a month, runs at once) is counted in the database and still
    refused; refusing every request would make a Redis outage an outage of the whole API.
    """
    plan = ctx.settings.plans.get(user.plan) or ctx.settings.plans["free"]
    try:
        await ctx.limiter.hit(
            "requests_per_minute",
            str(user.id),
            limit=plan.requests_per_minute,
            window=timedelta(minutes=1),
            now=ctx.now(),
        )
    except Unavailable:
        if _redis_away.due():
            log.warning("Redis unavailable: requests are let through without a rate limit")


CurrentUser = Annotated[store.User, Depends(current_user)]
