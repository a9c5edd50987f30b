"""Alembic driven from code: the migrations folder is found next to this package."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

from store.db import sync_url


def _script_location() -> Path:
    # `migrations` is a top-level package installed beside `store`; finding its spec does
    # not import it, so this works from a checkout, an editable or a wheel install, any cwd.
    spec = importlib.util.find_spec("migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the trawler migrations package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def alembic_config(url: str | URL) -> Config:
    """An Alembic config for the database at `url` (any driver; migrations run blocking)."""
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    # Passed as an attribute, not an option: ConfigParser would read '%' in a password.
    config.attributes["url"] = sync_url(url)
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str = "base") -> None:
    """Migrate the database at `url` down to `revision` (`base` drops every table)."""
    command.downgrade(alembic_config(url), revision)
