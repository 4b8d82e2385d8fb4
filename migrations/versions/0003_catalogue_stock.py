"""Unknown stock, where a product's stock came from, EAN, and per-listing exclusion.

A product's on-hand stock becomes nullable: NULL means the hub has never learned it, and no
quantity is pushed for it (issue 12: a blind 0 zeroed live listings). ``stock_source`` says who
the value came from: ``channel`` (adopted from a listing import, not yet confirmed) or ``hub``
(set by a person or a catalogue import). Products that already exist keep their value, owned
by the hub. ``listings.excluded`` is the product filters' verdict, read by core at push time.

Revision ID: 0003_catalogue_stock
Revises: 0002_scheduled_jobs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_catalogue_stock"
down_revision: str | Sequence[str] | None = "0002_scheduled_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column("stock_on_hand", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("stock_source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("ean", sa.String(length=32), nullable=True))
        batch_op.create_check_constraint(
            "stock_source_known", "stock_source IS NULL OR stock_source IN ('channel', 'hub')"
        )
    op.execute("UPDATE products SET stock_source = 'hub' WHERE stock_on_hand IS NOT NULL")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("excluded", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("excluded")
    op.execute("UPDATE products SET stock_on_hand = 0 WHERE stock_on_hand IS NULL")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_stock_source_known"), type_="check")
        batch_op.drop_column("ean")
        batch_op.drop_column("stock_source")
        batch_op.alter_column("stock_on_hand", existing_type=sa.Integer(), nullable=False)
