"""Quarantine: sync_errors keep the record (encrypted), its cursor and attempts; buyer text whole.

Revision ID: 0005_quarantine
Revises: 0003_catalogue_stock
Create Date: 2026-12-01 18:00:00

Buyer and address columns of ``orders`` become TEXT on PostgreSQL so an over-long value from
the channel is stored whole instead of failing the batch (cheap: varchar to text needs no
table rewrite). SQLite never enforces VARCHAR lengths, so its declared types stay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_quarantine"
down_revision: str | Sequence[str] | None = "0004_pricing_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL_TEXT = {
    "buyer_name": 300,
    "buyer_email": 300,
    "buyer_phone": 64,
    "ship_name": 300,
    "ship_line1": 300,
    "ship_line2": 300,
    "ship_line3": 300,
    "ship_city": 200,
    "ship_state": 200,
    "ship_postal_code": 32,
    "ship_phone": 64,
}


def upgrade() -> None:
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("cursor", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for column, length in CHANNEL_TEXT.items():
            op.alter_column("orders", column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column, length in CHANNEL_TEXT.items():
            # values longer than the old limit are cut: the old schema cannot hold them
            op.alter_column(
                "orders",
                column,
                type_=sa.String(length),
                existing_type=sa.Text(),
                postgresql_using=f"left({column}, {length})",
            )
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.drop_column("dismissed_at")
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("cursor")
        batch_op.drop_column("payload")
