"""A bot's executions indexed newest first: the bots listing reads each bot's last run.

The index on `bot_id` alone goes: the new one starts with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_executions_bot_id_created_at"), "executions", ["bot_id", "created_at"])
    op.drop_index(op.f("ix_executions_bot_id"), table_name="executions")


def downgrade() -> None:
    op.create_index(op.f("ix_executions_bot_id"), "executions", ["bot_id"])
    op.drop_index(op.f("ix_executions_bot_id_created_at"), table_name="executions")
