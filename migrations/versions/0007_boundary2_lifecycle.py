"""Integrations can be disabled, and removed while their orders are kept (archived).

Revision ID: 0007_boundary2_lifecycle
Revises: 0006_stream_enqueued
Create Date: 2026-12-01 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_boundary2_lifecycle"
down_revision: str | Sequence[str] | None = "0006_stream_enqueued"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("integrations", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("integrations", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35), not a batch copy: recreating ``integrations`` on
    # SQLite would fire the ON DELETE CASCADE of every table that references it.
    op.drop_column("integrations", "removed_at")
    op.drop_column("integrations", "disabled_at")
