"""Pricing settings per integration (rules on/off, floor inputs) move from bigbuy_mip to core.

Core now owns the pricing use case, whichever plugins provide the rule types. Existing values
are copied from ``bigbuy_integration_options`` when that plugin's table is there; the plugin's
revision ``bigbuy_0002`` (which depends on this one) then drops its copies of the columns.

Revision ID: 0004_pricing_settings
Revises: 0002_scheduled_jobs
Create Date: 2026-12-01 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_pricing_settings"
down_revision: str | Sequence[str] | None = "0003_catalogue_stock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pricing_settings",
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("rules_enabled", sa.Boolean(), nullable=False),
        sa.Column("commission_percent", sa.Numeric(6, 3), nullable=False),
        sa.Column("floor_shipping", sa.Numeric(18, 4), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "commission_percent >= 0 AND commission_percent < 100",
            name=op.f("ck_pricing_settings_commission_range"),
        ),
        sa.CheckConstraint("floor_shipping >= 0", name=op.f("ck_pricing_settings_shipping_non_negative")),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_pricing_settings_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_pricing_settings")),
    )
    legacy = sa.inspect(op.get_bind())
    if legacy.has_table("bigbuy_integration_options") and "rules_enabled" in {
        c["name"] for c in legacy.get_columns("bigbuy_integration_options")
    }:
        op.execute(
            "INSERT INTO pricing_settings "
            "(integration_id, rules_enabled, commission_percent, floor_shipping, updated_at) "
            "SELECT integration_id, rules_enabled, commission_percent, floor_shipping, updated_at "
            "FROM bigbuy_integration_options"
        )


def downgrade() -> None:
    op.drop_table("pricing_settings")
