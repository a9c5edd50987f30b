"""The Alembic migrations: up, down and up again on both backends, and no drift from the models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import store

TABLES = set(store.metadata.tables)


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(store.sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _drift(url: str, metadata: sa.MetaData, *, server_defaults: bool = True) -> list[Any]:
    engine = sa.create_engine(store.sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "compare_server_default": server_defaults},
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    store.upgrade(url)
    assert _tables(url) == TABLES
    store.downgrade(url, "base")
    assert _tables(url) == set()
    store.upgrade(url)
    assert _tables(url) == TABLES


def test_upgrade_downgrade_upgrade_postgresql(new_database: Callable[[], str]) -> None:
    _round_trip(new_database())


def test_models_match_migrations_postgresql(pg_url: str) -> None:
    assert _drift(pg_url, store.metadata) == []


def test_drift_check_sees_a_model_change(pg_url: str) -> None:
    # The same comparison must report a column the migrations never added.
    changed = sa.MetaData(naming_convention=store.metadata.naming_convention)
    for table in store.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["bots"].append_column(sa.Column("colour", sa.String(20), nullable=True))
    diffs = _drift(pg_url, changed)
    assert [diff[0] for diff in diffs] == ["add_column"]
    assert diffs[0][3].name == "colour"


def test_upgrade_downgrade_upgrade_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trawler.db'}"
    _round_trip(url)
    # SQLite reflects an empty-string default as a different expression: types, nullability,
    # keys and indexes are compared, server defaults only on PostgreSQL.
    assert _drift(url, store.metadata, server_defaults=False) == []


def test_upgrade_accepts_async_urls(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'trawler.db'}"
    store.upgrade(url)
    assert _tables(url) == TABLES
