"""Shipment items move into core: the hub, not a fulfilment plugin, knows what a parcel holds.

Creating a shipment is a core use case (DESIGN.md section 1: core is the only writer of its own
tables), and whether an order is wholly shipped depends on which of its units are in parcels.
Rows the shipstation_like plugin kept in ``shipstation_shipment_lines`` are copied here when
that table exists; the plugin's own revision ``shipstation_0002`` then drops it.

Revision ID: 0009_shipment_items
Revises: 0008_console_users
Create Date: 2026-12-02 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_shipment_items"
down_revision: str | Sequence[str] | None = "0008_console_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLUGIN_TABLE = "shipstation_shipment_lines"


def upgrade() -> None:
    op.create_table(
        "shipment_items",
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_shipment_items_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_items_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", "order_item_id", name=op.f("pk_shipment_items")),
    )
    op.create_index(
        op.f("ix_shipment_items_order_item_id"), "shipment_items", ["order_item_id"], unique=False
    )
    if sa.inspect(op.get_bind()).has_table(PLUGIN_TABLE):
        op.execute(
            "INSERT INTO shipment_items (shipment_id, order_item_id, quantity) "
            "SELECT shipment_id, order_item_id, quantity FROM shipstation_shipment_lines WHERE quantity > 0"
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_shipment_items_order_item_id"), table_name="shipment_items")
    op.drop_table("shipment_items")
