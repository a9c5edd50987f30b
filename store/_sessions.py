"""Sessions of an account: viewer sign-ins, and ending every session at once (a password
change, signing out everywhere) by bumping the account's token generation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from store._accounts import ApiKey, PageSession, RefreshToken, User


async def add_page_session(
    session: AsyncSession, user: User, token_hash: str, *, expires_at: datetime
) -> PageSession:
    """A viewer sign-in of `user`, in the user's current token generation."""
    row = PageSession(
        user_id=user.id,
        token_hash=token_hash,
        generation=user.token_generation,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def page_session_user(
    session: AsyncSession, token_hash: str, *, now: datetime
) -> User | None:
    """The user of a viewer session that is neither ended, expired nor of an old generation."""
    return await session.scalar(
        select(User)
        .join(PageSession, PageSession.user_id == User.id)
        .where(
            PageSession.token_hash == token_hash,
            PageSession.revoked_at.is_(None),
            PageSession.expires_at > now,
            PageSession.generation == User.token_generation,
        )
    )


async def end_page_session(session: AsyncSession, token_hash: str, *, now: datetime) -> None:
    """Signing out of the viewer: the session's cookie stops working, wherever it is kept."""
    await session.execute(
        update(PageSession)
        .where(PageSession.token_hash == token_hash, PageSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def end_sessions(
    session: AsyncSession, user: User, *, now: datetime, api_keys: bool = False
) -> int:
    """End every session of `user`: refresh tokens, viewer sessions and (by the new
    generation) access tokens; with `api_keys` revoke the API keys too. The new generation."""
    generation: int = (
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(token_generation=User.token_generation + 1)
            .returning(User.token_generation),
            execution_options={"synchronize_session": False},
        )
    ).scalar_one()
    set_committed_value(user, "token_generation", generation)  # as loaded: nothing to write
    for table in (RefreshToken, PageSession, *((ApiKey,) if api_keys else ())):
        await session.execute(
            update(table)
            .where(table.user_id == user.id, table.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return generation


async def forget_expired(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> None:
    """Delete the user's expired refresh tokens and viewer sessions (at each sign-in, so the
    tables hold what may still be used and little more)."""
    for table in (RefreshToken, PageSession):
        await session.execute(
            delete(table).where(table.user_id == user_id, table.expires_at <= now)
        )
