"""bigbuy_mip: price-rule settings now live in core's pricing_settings

Revision ``0004_pricing_settings`` of core copied ``rules_enabled``, ``commission_percent`` and
``floor_shipping`` out of ``bigbuy_integration_options``; the plugin keeps only its carrier
strategy there.
"""

import sqlalchemy as sa
from alembic import op

revision = "bigbuy_0002"
down_revision = "bigbuy_0001"
branch_labels = None
depends_on = "0004_pricing_settings"

TABLE = "bigbuy_integration_options"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(op.f("ck_bigbuy_integration_options_commission_range"), type_="check")
        batch.drop_constraint(op.f("ck_bigbuy_integration_options_shipping_non_negative"), type_="check")
        batch.drop_column("rules_enabled")
        batch.drop_column("commission_percent")
        batch.drop_column("floor_shipping")


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("rules_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column("commission_percent", sa.Numeric(6, 3), nullable=False, server_default="15")
        )
        batch.add_column(sa.Column("floor_shipping", sa.Numeric(18, 4), nullable=False, server_default="0"))
    op.execute(
        "UPDATE bigbuy_integration_options SET rules_enabled = s.rules_enabled, "
        "commission_percent = s.commission_percent, floor_shipping = s.floor_shipping "
        "FROM pricing_settings AS s WHERE s.integration_id = bigbuy_integration_options.integration_id"
    )
