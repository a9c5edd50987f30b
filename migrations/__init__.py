"""The Alembic environment and revisions that own trawler's schema (run via `store.upgrade`)."""
