"""bigbuy_mip: integration options and product filters"""

import sqlalchemy as sa
from alembic import op

revision = "bigbuy_0001"
down_revision = None
branch_labels = ("bigbuy_mip",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "bigbuy_integration_options",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("rules_enabled", sa.Boolean(), nullable=False),
        sa.Column("carrier_strategy", sa.String(length=16), nullable=False),
        sa.Column("commission_percent", sa.Numeric(6, 3), nullable=False),
        sa.Column("floor_shipping", sa.Numeric(18, 4), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "commission_percent >= 0 AND commission_percent < 100",
            name=op.f("ck_bigbuy_integration_options_commission_range"),
        ),
        sa.CheckConstraint(
            "floor_shipping >= 0", name=op.f("ck_bigbuy_integration_options_shipping_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_bigbuy_integration_options_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_bigbuy_integration_options")),
    )
    op.create_table(
        "bigbuy_product_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("brand", sa.String(length=200), nullable=True),
        sa.Column("sku_pattern", sa.String(length=200), nullable=True),
        sa.Column("stock_below", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mode IN ('include', 'exclude')", name=op.f("ck_bigbuy_product_filters_mode_known")
        ),
        sa.CheckConstraint(
            "stock_below IS NULL OR stock_below >= 0",
            name=op.f("ck_bigbuy_product_filters_stock_below_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_bigbuy_product_filters_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bigbuy_product_filters")),
    )
    op.create_index(
        op.f("ix_bigbuy_product_filters_integration_id"), "bigbuy_product_filters", ["integration_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_bigbuy_product_filters_integration_id"), table_name="bigbuy_product_filters")
    op.drop_table("bigbuy_product_filters")
    op.drop_table("bigbuy_integration_options")
