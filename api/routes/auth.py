"""Register, log in, refresh (rotated; a reused token revokes its whole family), log out of
this login or of every one."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Cookie, Request, Response

import store
from api.deps import Context, ContextDep, CurrentUser, SessionDep
from api.errors import ApiError
from api.schemas import AccessToken, Credentials, SignOutEverywhere, UserOut, errors
from api.security import digest, hash_password, new_token
from api.signin import HOUR, authenticate, client_address

router = APIRouter(prefix="/auth", tags=["auth"])

COOKIE = "trawler_refresh"
COOKIE_PATH = "/api/v1/auth"


@router.post("/register", status_code=201, responses=errors(409, 429))
async def register(body: Credentials, db: SessionDep, ctx: ContextDep, request: Request) -> UserOut:
    """Create an account on the free plan; `register_per_address` attempts an hour from one
    client address (429 with Retry-After past it), counted before the password is hashed."""
    await ctx.limiter.hit(
        "register_per_address",
        client_address(request),
        limit=ctx.settings.register_per_address,
        window=HOUR,
        now=ctx.now(),
    )
    password_hash = await asyncio.to_thread(hash_password, body.password)  # off the loop
    user = await store.create_user(db, body.email, password_hash)
    await db.commit()
    return UserOut.model_validate(user)


async def issue(
    ctx: Context, db: store.Session, response: Response, user: store.User, family: uuid.UUID
) -> AccessToken:
    """An access token, and a refresh token of `family` in the cookie, both of the user's
    current token generation; commits."""
    now = ctx.now()
    token, token_hash = new_token()
    await store.add_refresh_token(
        db,
        user.id,
        token_hash,
        family=family,
        generation=user.token_generation,
        expires_at=now + ctx.settings.refresh_ttl,
    )
    access = ctx.tokens.issue(user.id, user.token_generation, now)
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
    return AccessToken(access_token=access, expires_in=int(ctx.settings.access_ttl.total_seconds()))


@router.post("/login")
async def login(
    body: Credentials, ctx: ContextDep, db: SessionDep, request: Request, response: Response
) -> AccessToken:
    """An access token in the body, a refresh token in an HttpOnly cookie.

    Attempts are limited per client address, per address and account, and per account with a
    growing wait after repeated failures (429 with Retry-After says how long).
    """
    user = await authenticate(ctx, db, client_address(request), body.email, body.password)
    await store.forget_expired(db, user.id, now=ctx.now())
    return await issue(ctx, db, response, user, uuid.uuid4())


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
    user = await db.get(store.User, stored.user_id)
    if user is None or stored.generation != user.token_generation:
        raise ApiError(
            401,
            "session_ended",
            "this session was ended (a password change, or signing out everywhere): sign in again",
        )
    if stored.revoked_at is not None:  # used before: stolen, or replayed — end that login
        await store.revoke_family(db, stored.family, now=now)
        await db.commit()
        raise ApiError(401, "refresh_token_reused", "this session was ended; sign in again")
    stored.revoked_at = now
    return await issue(ctx, db, response, user, stored.family)


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


@router.post("/logout-all", status_code=204)
async def logout_all(
    user: CurrentUser,
    ctx: ContextDep,
    db: SessionDep,
    response: Response,
    body: Annotated[SignOutEverywhere | None, Body()] = None,
) -> None:
    """End every session of the account at once: every login's refresh tokens, every access
    token, every viewer sign-in (this one's too). API keys keep working unless
    `revoke_api_keys`."""
    revoke_keys = body is not None and body.revoke_api_keys
    await store.end_sessions(db, user, now=ctx.now(), api_keys=revoke_keys)
    await db.commit()
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
