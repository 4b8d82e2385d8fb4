"""Core tables: integrations, catalogue, orders, shipments, carriers, prices, sync state.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-23 09:24:32.750441
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_core"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_key", sa.String(length=64), nullable=False),
        sa.Column("marketplace", sa.String(length=16), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "incomplete",
                "live",
                "error",
                name="integrationstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("credentials_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("alias", name=op.f("uq_integrations_alias")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("brand", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("weight_kg", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("rrp", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("stock_on_hand", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name=op.f("ck_products_cost_non_negative")),
        sa.CheckConstraint("rrp IS NULL OR rrp >= 0", name=op.f("ck_products_rrp_non_negative")),
        sa.CheckConstraint("stock_on_hand >= 0", name=op.f("ck_products_stock_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_brand"), ["brand"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_category"), ["category"], unique=False)

    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier_code", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("batch_id", sa.String(length=64), nullable=True),
        sa.Column("label_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "notify_state",
            sa.Enum(
                "pending",
                "sent",
                "not_required",
                "manual",
                "failed",
                name="notifystate",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notify_attempts", sa.Integer(), nullable=False),
        sa.Column("notify_error", sa.Text(), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_shipments_idempotency_key")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "carrier_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=64), nullable=False),
        sa.Column("carrier_code", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_carrier_settings_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_settings")),
        sa.UniqueConstraint(
            "integration_id",
            "area_code",
            "carrier_code",
            name=op.f("uq_carrier_settings_integration_id_area_code_carrier_code"),
        ),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("stream", sa.String(length=32), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "succeeded",
                "failed",
                name="jobstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_job_runs_integration_id_integrations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_table(
        "listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("channel_sku", sa.String(length=200), nullable=False),
        sa.Column("asin", sa.String(length=20), nullable=True),
        sa.Column(
            "fulfilment",
            sa.Enum(
                "mfn",
                "fba",
                name="fulfilment",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("channel_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("channel_quantity", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel_price IS NULL OR channel_price >= 0",
            name=op.f("ck_listings_price_non_negative"),
        ),
        sa.CheckConstraint(
            "channel_quantity IS NULL OR channel_quantity >= 0",
            name=op.f("ck_listings_qty_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_listings_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_listings_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
        sa.UniqueConstraint(
            "integration_id", "channel_sku", name=op.f("uq_listings_integration_id_channel_sku")
        ),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listings_product_id"), ["product_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("channel_order_id", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "awaiting_payment",
                "awaiting_shipment",
                "pending_review",
                "on_hold",
                "shipped",
                "cancelled",
                name="orderstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("channel_status", sa.String(length=64), nullable=True),
        sa.Column(
            "fulfilment",
            sa.Enum(
                "mfn",
                "fba",
                name="fulfilment",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("purchase_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ship_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("shipping_total", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("tax_total", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("is_gift", sa.Boolean(), nullable=False),
        sa.Column("buyer_data_available", sa.Boolean(), nullable=False),
        sa.Column("buyer_name", sa.String(length=300), nullable=True),
        sa.Column("buyer_email", sa.String(length=300), nullable=True),
        sa.Column("buyer_phone", sa.String(length=64), nullable=True),
        sa.Column("ship_name", sa.String(length=300), nullable=True),
        sa.Column("ship_line1", sa.String(length=300), nullable=True),
        sa.Column("ship_line2", sa.String(length=300), nullable=True),
        sa.Column("ship_line3", sa.String(length=300), nullable=True),
        sa.Column("ship_city", sa.String(length=200), nullable=True),
        sa.Column("ship_state", sa.String(length=200), nullable=True),
        sa.Column("ship_postal_code", sa.String(length=32), nullable=True),
        sa.Column("ship_country", sa.String(length=2), nullable=True),
        sa.Column("ship_phone", sa.String(length=64), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("carrier_code", sa.String(length=64), nullable=True),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("total IS NULL OR total >= 0", name=op.f("ck_orders_total_non_negative")),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_orders_integration_id_integrations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "integration_id",
            "channel_order_id",
            name=op.f("uq_orders_integration_id_channel_order_id"),
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_status_ship_by", ["status", "ship_by"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "quantity",
                "price",
                name="outboxkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sending",
                "done",
                "failed",
                name="outboxstate",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0", name=op.f("ck_outbox_quantity_non_negative")),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_outbox_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["integration_id", "kind", "state", "id"], unique=False)

    op.create_table(
        "price_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rule_type", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_price_rules_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_rules")),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_sync_cursors_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", "stream", name=op.f("pk_sync_cursors")),
    )
    op.create_table(
        "sync_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_sync_errors_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_errors")),
    )
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_errors_open", ["integration_id", "stream", "resolved_at"], unique=False
        )

    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("channel_item_id", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("asin", sa.String(length=20), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("is_custom", sa.Boolean(), nullable=False),
        sa.Column("gift_message", sa.Text(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_order_items_unit_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_items_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_items_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
        sa.UniqueConstraint(
            "order_id", "channel_item_id", name=op.f("uq_order_items_order_id_channel_item_id")
        ),
    )
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_items_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_items_sku"), ["sku"], unique=False)

    op.create_table(
        "shipment_orders",
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipment_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_orders_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", "order_id", name=op.f("pk_shipment_orders")),
    )


def downgrade() -> None:
    op.drop_table("shipment_orders")
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_items_sku"))
        batch_op.drop_index(batch_op.f("ix_order_items_order_id"))

    op.drop_table("order_items")
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_errors_open")

    op.drop_table("sync_errors")
    op.drop_table("sync_cursors")
    op.drop_table("price_rules")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_ship_by")

    op.drop_table("orders")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listings_product_id"))

    op.drop_table("listings")
    op.drop_table("job_runs")
    op.drop_table("carrier_settings")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_batch_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_category"))
        batch_op.drop_index(batch_op.f("ix_products_brand"))

    op.drop_table("products")
    op.drop_table("integrations")
