"""Users' own proxies: encrypted at rest, scoped to their owner, gone with the owner."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import store
from store import Conflict, SecretBox, SecretUnreadable, User, UserProxy

BOX = SecretBox.from_secrets("test-key-0123456789abcdef")
PASSWORD = "hunter2-proxy-pass"
URL = f"http://alice:{PASSWORD}@res.proxy.test:8080"


@pytest.fixture
async def session(pg_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with store.session_factory(pg_engine)() as session:
        yield session


async def new_user(session: AsyncSession) -> User:
    user = await store.create_user(session, f"{uuid.uuid4().hex}@example.com", "x")
    await session.flush()
    return user


async def test_a_proxy_round_trips_encrypted(session: AsyncSession) -> None:
    user = await new_user(session)
    added = await store.add_user_proxy(
        session, BOX, user.id, "residential-de", URL, tags=["residential", "country:de"], tier=1
    )
    await session.commit()
    assert added.url == URL
    assert PASSWORD not in repr(added)

    raw = await session.scalar(sa.select(UserProxy.url_encrypted).where(UserProxy.id == added.id))
    assert raw is not None
    assert PASSWORD.encode() not in raw
    assert b"res.proxy.test" not in raw

    [listed] = await store.user_proxies(session, BOX, user.id)
    assert listed == added
    assert (listed.name, listed.url, listed.tags, listed.tier) == (
        "residential-de",
        URL,
        ("country:de", "residential"),
        1,
    )
    assert listed.disabled_reason is None
    assert await store.own_user_proxy(session, BOX, user.id, added.id) == added
    with pytest.raises(SecretUnreadable):
        await store.user_proxies(session, SecretBox.from_secrets("another-key-0123456789"), user.id)


async def test_a_token_moved_to_another_row_does_not_decrypt(session: AsyncSession) -> None:
    user = await new_user(session)
    first = await store.add_user_proxy(session, BOX, user.id, "first", URL)
    second = await store.add_user_proxy(session, BOX, user.id, "second", "http://other.test:1")
    token = await session.scalar(sa.select(UserProxy.url_encrypted).where(UserProxy.id == first.id))
    await session.execute(
        sa.update(UserProxy).where(UserProxy.id == second.id).values(url_encrypted=token)
    )
    with pytest.raises(SecretUnreadable):
        await store.own_user_proxy(session, BOX, user.id, second.id)
    await session.rollback()


async def test_names_are_unique_per_user(session: AsyncSession) -> None:
    alice, bob = await new_user(session), await new_user(session)
    await store.add_user_proxy(session, BOX, alice.id, "dc-1", URL)
    with pytest.raises(Conflict, match="dc-1"):
        await store.add_user_proxy(session, BOX, alice.id, "dc-1", "http://other.test:1")
    await store.add_user_proxy(session, BOX, bob.id, "dc-1", URL)  # another user's name space
    await session.commit()
    assert [p.url for p in await store.user_proxies(session, BOX, alice.id)] == [URL]


async def test_every_query_is_scoped_to_the_owner(session: AsyncSession) -> None:
    alice, bob = await new_user(session), await new_user(session)
    mine = await store.add_user_proxy(session, BOX, alice.id, "b-cheap", "http://cheap.test:1")
    expensive = await store.add_user_proxy(session, BOX, alice.id, "a-expensive", URL, tier=2)
    theirs = await store.add_user_proxy(session, BOX, bob.id, "theirs", "http://bob.test:1")
    await session.commit()

    listed = await store.user_proxies(session, BOX, alice.id)
    assert [p.name for p in listed] == ["b-cheap", "a-expensive"]  # by tier, then name
    assert await store.own_user_proxy(session, BOX, alice.id, theirs.id) is None
    assert not await store.delete_user_proxy(session, alice.id, theirs.id)
    assert not await store.disable_user_proxy(session, alice.id, theirs.id, "not yours")
    assert [p.name for p in await store.user_proxies(session, BOX, bob.id)] == ["theirs"]

    assert await store.disable_user_proxy(session, alice.id, expensive.id, "407 from the proxy")
    await session.commit()
    enabled = await store.user_proxies(session, BOX, alice.id, enabled_only=True)
    assert [p.id for p in enabled] == [mine.id]
    again = await store.own_user_proxy(session, BOX, alice.id, expensive.id)
    assert again is not None
    assert again.disabled_reason == "407 from the proxy"
    assert await store.disable_user_proxy(session, alice.id, expensive.id, None)
    assert len(await store.user_proxies(session, BOX, alice.id, enabled_only=True)) == 2

    assert await store.delete_user_proxy(session, alice.id, mine.id)
    await session.commit()
    assert [p.id for p in await store.user_proxies(session, BOX, alice.id)] == [expensive.id]
    assert await store.own_user_proxy(session, BOX, bob.id, theirs.id) is not None


async def test_proxies_go_with_their_user(session: AsyncSession) -> None:
    user, other = await new_user(session), await new_user(session)
    await store.add_user_proxy(session, BOX, user.id, "one", URL)
    await store.add_user_proxy(session, BOX, user.id, "two", URL)
    await store.add_user_proxy(session, BOX, other.id, "kept", URL)
    await session.commit()
    await session.execute(sa.delete(User).where(User.id == user.id))
    await session.commit()
    count = sa.select(sa.func.count()).select_from(UserProxy)
    assert await session.scalar(count.where(UserProxy.user_id == user.id)) == 0
    assert await session.scalar(count.where(UserProxy.user_id == other.id)) == 1


async def test_on_sqlite_too(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'trawler.db'}"
    store.upgrade(url)
    engine = store.create_engine(url)
    try:
        async with store.session_factory(engine)() as session:
            user = await new_user(session)
            added = await store.add_user_proxy(session, BOX, user.id, "p", URL, tags=["dc"])
            await session.commit()
            [listed] = await store.user_proxies(session, BOX, user.id)
            assert listed == added
            assert listed.tags == ("dc",)
    finally:
        await engine.dispose()
