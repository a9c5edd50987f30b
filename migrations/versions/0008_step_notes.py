"""A step's note: why a loop stopped, a switch of renderer, a page loaded again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("execution_steps", sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("execution_steps", "note")
