"""Drop ``ix_order_items_order_id``: the unique key (order_id, channel_item_id) covers it.

A lookup by order (an order's items, the cascade from a deleted order) uses the unique key's
index, whose first column is ``order_id``; the second index only cost a write for every
imported item.

Revision ID: 0012_order_items_order_index
Revises: 0011_outbox_sending
Create Date: 2026-12-04 02:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_order_items_order_index"
down_revision: str | Sequence[str] | None = "0011_outbox_sending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_items") as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_items_order_id"))


def downgrade() -> None:
    with op.batch_alter_table("order_items") as batch_op:
        batch_op.create_index(batch_op.f("ix_order_items_order_id"), ["order_id"], unique=False)
