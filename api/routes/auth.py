"""Register, log in, refresh (rotated; a reused token revokes its whole family), log out."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import ApiError
from api.quota import limits_of
from api.schemas import AccessToken, Credentials, Usage, UserOut, UserUpdate, errors
from api.security import digest, hash_password, new_refresh_token
from api.signin import authenticate, client_address

router = APIRouter(prefix="/auth", tags=["auth"])
users = APIRouter(prefix="/users", tags=["users"])

COOKIE = "trawler_refresh"
COOKIE_PATH = "/api/v1/auth"


@router.post("/register", status_code=201, responses=errors(409))
async def register(body: Credentials, db: SessionDep) -> UserOut:
    """Create an account on the free plan."""
    password_hash = await asyncio.to_thread(hash_password, body.password)  # off the loop
    user = await store.create_user(db, body.email, password_hash)
    await db.commit()
    return UserOut.model_validate(user)


async def _issue(
    ctx: ContextDep, db: SessionDep, response: Response, user_id: uuid.UUID, family: uuid.UUID
) -> AccessToken:
    now = ctx.now()
    token, token_hash = new_refresh_token()
    await store.add_refresh_token(
        db, user_id, token_hash, family=family, expires_at=now + ctx.settings.refresh_ttl
    )
    await db.commit()
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ctx.settings.refresh_ttl.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        secure=ctx.settings.secure_cookies,
        samesite="strict",
    )
    return AccessToken(
        access_token=ctx.tokens.issue(user_id, now),
        expires_in=int(ctx.settings.access_ttl.total_seconds()),
    )


@router.post("/login")
async def login(
    body: Credentials, ctx: ContextDep, db: SessionDep, request: Request, response: Response
) -> AccessToken:
    """An access token in the body, a refresh token in an HttpOnly cookie.

    Attempts are limited per client address, per address and account, and per account with a
    growing wait after repeated failures (429 with Retry-After says how long).
    """
    user = await authenticate(ctx, db, client_address(request), body.email, body.password)
    return await _issue(ctx, db, response, user.id, uuid.uuid4())


@router.post("/refresh")
async def refresh(
    ctx: ContextDep,
    db: SessionDep,
    response: Response,
    trawler_refresh: Annotated[str | None, Cookie()] = None,
) -> AccessToken:
    """Trade the refresh cookie for a new access token and a new refresh cookie."""
    stored = await store.refresh_token(db, digest(trawler_refresh)) if trawler_refresh else None
    now = ctx.now()
    if stored is None or stored.expires_at <= now:
        raise ApiError(401, "invalid_refresh_token", "sign in again")
    if stored.revoked_at is not None:  # used before: stolen, or replayed — end that login
        await store.revoke_family(db, stored.family, now=now)
        await db.commit()
        raise ApiError(401, "refresh_token_reused", "this session was ended; sign in again")
    stored.revoked_at = now
    return await _issue(ctx, db, response, stored.user_id, stored.family)


@router.post("/logout", status_code=204)
async def logout(
    ctx: ContextDep,
    db: SessionDep,
    response: Response,
    trawler_refresh: Annotated[str | None, Cookie()] = None,
) -> None:
    """End this login: its refresh tokens stop working."""
    stored = await store.refresh_token(db, digest(trawler_refresh)) if trawler_refresh else None
    if stored is not None:
        await store.revoke_family(db, stored.family, now=ctx.now())
        await db.commit()
    response.delete_cookie(COOKIE, path=COOKIE_PATH)


@users.get("/me")
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@users.patch("/me", responses=errors(409))
async def update_me(body: UserUpdate, user: CurrentUser, db: SessionDep) -> UserOut:
    """Change email or password."""
    if body.email is not None:
        await store.set_email(db, user, body.email)  # Conflict: 409, as for registering
    if body.password is not None:
        user.password_hash = hash_password(body.password)
    await db.commit()
    return UserOut.model_validate(user)


@users.delete("/me", status_code=204)
async def delete_me(user: CurrentUser, db: SessionDep, ctx: ContextDep, response: Response) -> None:
    """Delete the account with its bots, schedules, executions, rows and artifacts."""
    for execution_id in await store.executions_of_user(db, user.id):
        await ctx.artifacts.delete_prefix(str(execution_id))
    await db.delete(user)
    await db.commit()
    response.delete_cookie(COOKIE, path=COOKIE_PATH)


@users.get("/me/usage")
async def usage(user: CurrentUser, db: SessionDep, ctx: ContextDep) -> Usage:
    """This month's executions, rows, pages and LLM tokens against the plan's limits."""
    month = ctx.now().strftime("%Y-%m")
    used = await store.usage_of(db, user.id, month)
    limits = limits_of(ctx, user)
    return Usage(
        month=month,
        executions=used.executions,
        rows=used.rows,
        pages=used.pages,
        llm_tokens=used.llm_tokens,
        limits={
            "executions_per_month": limits.executions_per_month,
            "rows_per_month": limits.rows_per_month,
            "concurrent_executions": limits.concurrent_executions,
            "llm_tokens_per_month": limits.llm_tokens_per_month,
        },
    )
