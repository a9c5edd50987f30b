"""Throw-away PostgreSQL databases on the local server, one migrated schema per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import store


@pytest.fixture(scope="session")
def pg_url(new_database: Callable[[], str]) -> str:
    """A database migrated to head, shared by the model tests of the session."""
    url = new_database()
    store.upgrade(url)
    return url


@pytest.fixture
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    """An async engine (psycopg 3) on the migrated database, disposed after the test."""
    engine = store.create_engine(pg_url)
    try:
        yield engine
    finally:
        await engine.dispose()
