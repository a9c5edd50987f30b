"""Accounts: users and their refresh tokens (rotated, revoked by family on reuse)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store._accounts import ApiKey, RefreshToken, User
from store.errors import Conflict


async def create_user(
    session: AsyncSession, email: str, password_hash: str, *, plan: str = "free"
) -> User:
    """A new user; `Conflict` if the email (compared case-insensitively) is taken."""
    user = User(email=email.strip().lower(), password_hash=password_hash, plan=plan)
    session.add(user)
    await _unique_email(session, user)
    return user


async def set_email(session: AsyncSession, user: User, email: str) -> None:
    """Change the user's email; `Conflict` if another account has it."""
    user.email = email.strip().lower()
    await _unique_email(session, user)


async def _unique_email(session: AsyncSession, user: User) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"an account with the email {user.email} exists") from None


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def add_refresh_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    token_hash: str,
    *,
    family: uuid.UUID,
    generation: int,
    expires_at: datetime,
) -> None:
    """A refresh token of `family`, issued in the user's token `generation`."""
    session.add(
        RefreshToken(
            user_id=user_id,
            token_hash=token_hash,
            family=family,
            generation=generation,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The stored token with this hash, locked (a concurrent refresh waits for this one)."""
    return await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    )


async def revoke_family(session: AsyncSession, family: uuid.UUID, *, now: datetime) -> None:
    """Revoke every token of a login: on logout, and when a used token comes back (theft)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.coalesce(RefreshToken.revoked_at, now))
    )


async def add_api_key(
    session: AsyncSession, user_id: uuid.UUID, name: str, prefix: str, key_hash: str
) -> ApiKey:
    key = ApiKey(user_id=user_id, name=name, prefix=prefix, key_hash=key_hash)
    session.add(key)
    await session.flush()
    return key


async def api_keys(session: AsyncSession, user_id: uuid.UUID) -> list[ApiKey]:
    """The user's keys, newest first, revoked ones included (their history)."""
    return list(
        await session.scalars(
            select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc())
        )
    )


async def own_api_key(
    session: AsyncSession, user_id: uuid.UUID, key_id: uuid.UUID
) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id)
    )


async def api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    """A key that is not revoked, by its public prefix."""
    return await session.scalar(
        select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    )
