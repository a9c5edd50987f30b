"""The signed-in account: read it, change its email or password, delete it, its usage."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request, Response

import store
from api.deps import ContextDep, CurrentUser, SessionDep
from api.errors import ApiError
from api.quota import limits_of
from api.routes.auth import COOKIE, COOKIE_PATH, issue
from api.schemas import AccountDeletion, Usage, UserOut, UserUpdate, errors
from api.security import hash_password
from api.signin import client_address, confirm_password

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


def _invalid(field: str, message: str) -> ApiError:
    """The answer a request validation error gets, for a rule across fields."""
    details = [{"field": f"body.{field}", "message": message}]
    return ApiError(422, "invalid_request", "the request is invalid", details)


def _check(body: UserUpdate) -> None:
    changes = body.email is not None or body.password is not None
    if changes and body.current_password is None:
        raise _invalid("current_password", "required to change the email or the password")
    if not changes and body.current_password is not None:
        raise _invalid("current_password", "only with a new email or password")
    if body.revoke_api_keys and body.password is None:
        raise _invalid(
            "revoke_api_keys", "only with a new password (POST /auth/logout-all revokes keys)"
        )


@router.patch("/me", responses=errors(403, 409))
async def update_me(
    body: UserUpdate,
    user: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
) -> UserOut:
    """Change the email or the password; either needs `current_password` (a wrong one is 403
    and counts as a failed sign-in).

    A new password ends every session of the account: refresh tokens, access tokens (this
    request's too) and viewer sign-ins. This client gets a new refresh cookie: `POST
    /auth/refresh` for a new access token. API keys keep working unless `revoke_api_keys`.
    """
    _check(body)
    if body.current_password is not None:
        await confirm_password(ctx, client_address(request), user, body.current_password)
    if body.email is not None:
        await store.set_email(db, user, body.email)  # Conflict: 409, as for registering
    if body.password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, body.password)
        await store.end_sessions(db, user, now=ctx.now(), api_keys=body.revoke_api_keys)
        await issue(ctx, db, response, user, uuid.uuid4())
    await db.commit()
    return UserOut.model_validate(user)


@router.delete("/me", status_code=204, responses=errors(403))
async def delete_me(
    body: AccountDeletion,
    user: CurrentUser,
    db: SessionDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
) -> None:
    """Delete the account with its bots, schedules, executions, rows and artifacts. It takes
    the account's password (a JSON body on the DELETE), so a stolen token or API key cannot."""
    await confirm_password(ctx, client_address(request), user, body.current_password)
    for execution_id in await store.executions_of_user(db, user.id):
        await ctx.artifacts.delete_prefix(str(execution_id))
    await db.delete(user)
    await db.commit()
    response.delete_cookie(COOKIE, path=COOKIE_PATH)


@router.get("/me/usage")
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
