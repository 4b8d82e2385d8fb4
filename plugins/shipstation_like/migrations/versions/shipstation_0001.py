"""ShipStation-like tables: notices (the notification queue), shipment lines, label contacts,
redaction log.

Revision ID: shipstation_0001
Revises:
Create Date: 2026-11-23 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shipstation_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("shipstation_like",)
depends_on: str | Sequence[str] | None = "0001_core"

NOTIFY_ONLY = sa.text("action = 'notify'")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "shipstation_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            _enum("shipstation_noticeaction", "notify", "manual", "not_required"),
            nullable=False,
        ),
        sa.Column(
            "state",
            _enum("shipstation_noticestate", "queued", "sending", "done", "failed"),
            nullable=True,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("possibly_sent", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_shipstation_notices_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipstation_notices_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipstation_notices_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipstation_notices")),
    )
    op.create_index(
        "ix_shipstation_notices_due", "shipstation_notices", ["state", "next_attempt_at"], unique=False
    )
    op.create_index(
        op.f("ix_shipstation_notices_order_id"), "shipstation_notices", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_shipstation_notices_shipment_id"), "shipstation_notices", ["shipment_id"], unique=False
    )
    op.create_index(
        "uq_shipstation_notices_notify_once",
        "shipstation_notices",
        ["order_id"],
        unique=True,
        sqlite_where=NOTIFY_ONLY,
        postgresql_where=NOTIFY_ONLY,
    )
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
    op.create_table(
        "shipstation_label_contacts",
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipstation_label_contacts_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_shipstation_label_contacts")),
    )
    op.create_table(
        "shipstation_redactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipstation_redactions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipstation_redactions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_shipstation_redactions_order_id")),
    )


def downgrade() -> None:
    op.drop_table("shipstation_redactions")
    op.drop_table("shipstation_label_contacts")
    op.drop_index(
        op.f("ix_shipstation_shipment_lines_order_item_id"), table_name="shipstation_shipment_lines"
    )
    op.drop_table("shipstation_shipment_lines")
    op.drop_index("uq_shipstation_notices_notify_once", table_name="shipstation_notices")
    op.drop_index(op.f("ix_shipstation_notices_shipment_id"), table_name="shipstation_notices")
    op.drop_index(op.f("ix_shipstation_notices_order_id"), table_name="shipstation_notices")
    op.drop_index("ix_shipstation_notices_due", table_name="shipstation_notices")
    op.drop_table("shipstation_notices")
