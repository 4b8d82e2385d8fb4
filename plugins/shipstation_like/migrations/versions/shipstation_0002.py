"""Drop the plugin's shipment lines: core's ``shipment_items`` holds them now (core 0009 copied them).

Revision ID: shipstation_0002
Revises: shipstation_0001
Create Date: 2026-12-02 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shipstation_0002"
down_revision: str | Sequence[str] | None = "shipstation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0009_shipment_items"


def upgrade() -> None:
    op.drop_index(
        op.f("ix_shipstation_shipment_lines_order_item_id"), table_name="shipstation_shipment_lines"
    )
    op.drop_table("shipstation_shipment_lines")


def downgrade() -> None:
    """Recreate the table with the rows core holds, so core's own downgrade loses nothing."""
    op.create_table(
        "shipstation_shipment_lines",
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_shipstation_shipment_lines_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipstation_shipment_lines_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", "order_item_id", name=op.f("pk_shipstation_shipment_lines")),
    )
    op.create_index(
        op.f("ix_shipstation_shipment_lines_order_item_id"),
        "shipstation_shipment_lines",
        ["order_item_id"],
        unique=False,
    )
    op.execute(
        "INSERT INTO shipstation_shipment_lines (shipment_id, order_item_id, quantity) "
        "SELECT shipment_id, order_item_id, quantity FROM shipment_items"
    )
