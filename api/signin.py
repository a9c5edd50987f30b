"""Passwords checked within the sign-in limits, which the API's login, the viewer's sign-in form
and a password change share (so none of them is a guessing oracle the others close):

- per client address: `login_per_address` attempts a minute, whatever the account;
- per address and account: `login_per_address_account` in 15 minutes; a success starts again;
- per account, from any address: after `login_delay_after` failures each attempt waits
  `login_delay_base`, doubling up to `login_delay_max`, until a success. An address that signed
  in to the account within `login_known_address_ttl` skips that wait, so guesses from elsewhere
  never lock the owner out where they usually sign in.

Past a limit: 429 with Retry-After. Without Redis the limits fail closed (503): whoever can
take Redis down must not get unlimited guesses.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request

import store
from api.credentials import normalize_email
from api.deps import Context
from api.errors import ApiError
from api.ratelimit import BackoffPolicy, redis_or_503
from api.security import DUMMY_HASH, digest, verify_password

MINUTE, QUARTER, HOUR = timedelta(minutes=1), timedelta(minutes=15), timedelta(hours=1)
KNOWN = "trawler:login:known"


@dataclass(frozen=True)
class _Attempt:
    client: str
    account: str  # a digest of the normalised email: no address is kept in Redis in clear

    @property
    def pair(self) -> str:
        return f"{self.client}:{self.account}"

    @property
    def known_key(self) -> str:
        return f"{KNOWN}:{self.account}:{digest(self.client)}"


def client_address(request: Request) -> str:
    """The address the limits count by (the proxy's X-Forwarded-For where uvicorn trusts it)."""
    return request.client.host if request.client else "unknown"


def _normalized(email: str) -> str:
    try:
        return normalize_email(email)
    except ValueError:  # no account has it: looked up (and limited) all the same
        return email.strip().lower()


async def _begin(ctx: Context, attempt: _Attempt, now: datetime) -> None:
    settings = ctx.settings
    await ctx.limiter.hit(
        "login_per_address",
        attempt.client,
        limit=settings.login_per_address,
        window=MINUTE,
        now=now,
    )
    await ctx.limiter.hit(
        "login_per_address_account",
        attempt.pair,
        limit=settings.login_per_address_account,
        window=QUARTER,
        now=now,
    )
    async with redis_or_503():
        known = bool(await ctx.redis.exists(attempt.known_key))
    if not known:
        policy = BackoffPolicy(
            after=settings.login_delay_after,
            base=settings.login_delay_base,
            cap=settings.login_delay_max,
            memory=settings.login_failure_memory,
        )
        await ctx.backoff.take("login_per_account", attempt.account, policy, now)


async def _succeeded(ctx: Context, attempt: _Attempt, now: datetime) -> None:
    await ctx.backoff.clear("login_per_account", attempt.account)
    await ctx.limiter.forget("login_per_address_account", attempt.pair, window=QUARTER, now=now)
    ttl = ctx.settings.login_known_address_ttl
    if ttl > timedelta(0):
        async with redis_or_503():
            await ctx.redis.set(attempt.known_key, 1, ex=ttl)


async def authenticate(
    ctx: Context, db: store.Session, client: str, email: str, password: str
) -> store.User:
    """The user these credentials belong to, within the sign-in limits; 401 saying only that
    the email or the password is wrong."""
    now, email = ctx.now(), _normalized(email)
    attempt = _Attempt(client, digest(email))
    await _begin(ctx, attempt, now)
    user = await store.user_by_email(db, email)
    # a hash is verified either way (off the event loop: argon2 takes a while on purpose),
    # so an unknown email takes as long as a wrong password
    password_hash = user.password_hash if user else DUMMY_HASH
    if not await asyncio.to_thread(verify_password, password_hash, password) or not user:
        raise ApiError(401, "invalid_credentials", "wrong email or password")
    await _succeeded(ctx, attempt, now)
    return user


async def confirm_password(ctx: Context, client: str, user: store.User, password: str) -> None:
    """Refuse (403 naming `current_password`) unless `password` is the user's, within the
    sign-in limits of the user's account."""
    now = ctx.now()
    attempt = _Attempt(client, digest(user.email))
    await _begin(ctx, attempt, now)
    if not await asyncio.to_thread(verify_password, user.password_hash, password):
        raise ApiError(
            403,
            "wrong_password",
            "current_password is not the account's password",
            [{"field": "body.current_password", "message": "not the account's password"}],
        )
    await _succeeded(ctx, attempt, now)
