"""Alembic environment: runs migrations against `store.metadata` on PostgreSQL or SQLite.

The database comes from `store.alembic_config(url)` (the `url` attribute) or, for the
`alembic` command line in a checkout, from `TRAWLER_DATABASE_URL`.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL

import store


def _url() -> URL:
    url = context.config.attributes.get("url")
    if url is None:
        url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
            "TRAWLER_DATABASE_URL"
        )
    if not url:
        raise RuntimeError("no database URL: use store.upgrade(url) or set TRAWLER_DATABASE_URL")
    return store.sync_url(url)


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade --sql`)."""
    url = _url()
    context.configure(
        url=url,
        literal_binds=True,
        target_metadata=store.metadata,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on a connection of their own."""
    url = _url()
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=store.metadata,
                # SQLite cannot ALTER most things: batch mode copies the table instead.
                render_as_batch=url.get_backend_name() == "sqlite",
                compare_type=True,
                compare_server_default=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
