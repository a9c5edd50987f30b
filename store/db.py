"""Async engines and session factories for PostgreSQL (psycopg 3) and SQLite (aiosqlite)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# The driver each backend gets, by the database URL's backend name.
_ASYNC_DRIVERS = {"postgresql": "psycopg", "sqlite": "aiosqlite"}
_SYNC_DRIVERS = {"postgresql": "psycopg", "sqlite": "pysqlite"}


def _with_driver(url: str | URL, drivers: dict[str, str]) -> URL:
    parsed = make_url(url)
    driver = drivers.get(parsed.get_backend_name())
    if driver is None:
        raise ValueError(f"unsupported database: {parsed.get_backend_name()!r}")
    return parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}")


def async_url(url: str | URL) -> URL:
    """The URL with the async driver trawler uses: `postgresql+psycopg`, `sqlite+aiosqlite`."""
    return _with_driver(url, _ASYNC_DRIVERS)


def sync_url(url: str | URL) -> URL:
    """The URL with the blocking driver (Alembic runs migrations synchronously)."""
    return _with_driver(url, _SYNC_DRIVERS)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
    # WAL lets readers go on while one writer writes, and a writer waits for another rather
    # than failing at once: the API, a worker and the scheduler share the file in `serve`.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def create_engine(url: str | URL, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine for the URL, whatever driver it names; dispose it when done."""
    target = async_url(url)
    if target.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(target, echo=echo, **kwargs)
    if target.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to the engine; objects stay readable after commit (no lazy reloads)."""
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """An engine and its sessions; `async with db.transaction() as session:` commits at the end."""

    def __init__(self, url: str | URL, **kwargs: Any) -> None:
        self.engine = create_engine(url, **kwargs)
        self.sessions = session_factory(self.engine)

    def session(self) -> AsyncSession:
        """A session without a transaction begun; the caller commits, closing rolls back."""
        return self.sessions()

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in a transaction, committed when the block ends without an error."""
        return self.sessions.begin()

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


# Errors that mean "the database is unreachable right now", not "the query is wrong": a caller
# may wait and try again (a PostgreSQL restart, a dropped connection).
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout, OSError)
