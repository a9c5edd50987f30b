"""Sessions of an account on the migrated schema: viewer sessions that end server-side, and
ending every session at once by the account's token generation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import store

NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)
LATER = NOW + timedelta(hours=12)


@pytest.fixture
async def session(pg_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with store.session_factory(pg_engine)() as opened:
        yield opened
        await opened.rollback()


async def _user(session: AsyncSession) -> store.User:
    user = await store.create_user(session, f"{uuid.uuid4().hex}@example.com", "x")
    await session.flush()
    return user


async def test_a_viewer_session_ends_on_sign_out_and_expires(session: AsyncSession) -> None:
    user = await _user(session)
    await store.add_page_session(session, user, "a" * 64, expires_at=LATER)
    await store.add_page_session(session, user, "b" * 64, expires_at=LATER)
    assert await store.page_session_user(session, "a" * 64, now=NOW) is user
    assert await store.page_session_user(session, "a" * 64, now=LATER) is None  # expired
    await store.end_page_session(session, "a" * 64, now=NOW)
    assert await store.page_session_user(session, "a" * 64, now=NOW) is None
    assert await store.page_session_user(session, "b" * 64, now=NOW) is user  # another one
    assert await store.page_session_user(session, "c" * 64, now=NOW) is None


async def test_ending_every_session_bumps_the_generation_and_revokes_all(
    session: AsyncSession,
) -> None:
    user, other = await _user(session), await _user(session)
    family = uuid.uuid4()
    for owner, suffix in ((user, "1"), (other, "2")):
        await store.add_refresh_token(
            session, owner.id, suffix * 64, family=family, generation=0, expires_at=LATER
        )
        await store.add_page_session(session, owner, suffix * 63 + "p", expires_at=LATER)
        await store.add_api_key(session, owner.id, "script", uuid.uuid4().hex[:12], "h" + suffix)
    assert user.token_generation == 0

    assert await store.end_sessions(session, user, now=NOW) == 1
    assert user.token_generation == 1
    assert (
        await session.get_one(store.User, user.id, populate_existing=True)
    ).token_generation == 1
    assert (await store.refresh_token(session, "1" * 64)).revoked_at == NOW  # type: ignore[union-attr]
    assert await store.page_session_user(session, "1" * 63 + "p", now=NOW) is None
    assert [k.revoked_at for k in await store.api_keys(session, user.id)] == [None]  # kept

    assert await store.end_sessions(session, user, now=NOW, api_keys=True) == 2
    assert [k.revoked_at for k in await store.api_keys(session, user.id)] == [NOW]
    # the other account's sessions and keys are untouched
    assert (await store.refresh_token(session, "2" * 64)).revoked_at is None  # type: ignore[union-attr]
    assert await store.page_session_user(session, "2" * 63 + "p", now=NOW) is other
    assert [k.revoked_at for k in await store.api_keys(session, other.id)] == [None]


async def test_a_session_of_an_older_generation_is_refused(session: AsyncSession) -> None:
    user = await _user(session)
    await store.add_page_session(session, user, "o" * 64, expires_at=LATER)
    # a bump that revoked nothing (a session written concurrently, after the revocation)
    await session.execute(
        sa.update(store.User).where(store.User.id == user.id).values(token_generation=5)
    )
    assert await store.page_session_user(session, "o" * 64, now=NOW) is None


async def test_expired_tokens_and_sessions_are_forgotten(session: AsyncSession) -> None:
    user = await _user(session)
    for hash_, expires in (("e" * 64, NOW - timedelta(seconds=1)), ("f" * 64, LATER)):
        await store.add_refresh_token(
            session, user.id, hash_, family=uuid.uuid4(), generation=0, expires_at=expires
        )
        await store.add_page_session(session, user, hash_, expires_at=expires)
    await store.forget_expired(session, user.id, now=NOW)
    assert await store.refresh_token(session, "e" * 64) is None
    assert await store.refresh_token(session, "f" * 64) is not None
    remaining = await session.scalars(
        sa.select(store.PageSession.token_hash).where(store.PageSession.user_id == user.id)
    )
    assert list(remaining) == ["f" * 64]
