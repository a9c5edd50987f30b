"""Throw-away PostgreSQL databases on the local server, one migrated schema per session."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

import store

# The maintenance database of a server we may create and drop databases on (trust auth).
ADMIN_URL = os.environ.get(
    "TRAWLER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _drop(admin: psycopg.Connection[tuple[object, ...]], name: str) -> None:
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def new_database() -> Iterator[Callable[[], str]]:
    """Makes empty databases named `trawler_test_<random>`; all are dropped at the end."""
    created: list[str] = []
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:

        def make() -> str:
            name = f"trawler_test_{secrets.token_hex(6)}"
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            created.append(name)
            return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

        try:
            yield make
        finally:
            for name in created:
                _drop(admin, name)


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
