"""What the replay viewer shows: the selectors a step matched with their boxes on its
screenshot, and the step that found each row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("execution_steps") as batch:
        batch.add_column(sa.Column("selectors", sa.JSON(), nullable=True))
    with op.batch_alter_table("result_rows") as batch:
        batch.add_column(sa.Column("step", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("result_rows") as batch:
        batch.drop_column("step")
    with op.batch_alter_table("execution_steps") as batch:
        batch.drop_column("selectors")
