"""Product search through btree indexes (PostgreSQL): SKU prefixes and title prefixes.

The console searches a million products by the start of a SKU or of a title. A btree serves
``LIKE 'prefix%'`` only in the "C" collation (or with pattern operators), so:

- ``products.sku`` is collated "C". Its unique index (which every catalogue import row already
  maintains) then serves SKU prefixes and ``ORDER BY sku`` too, at no extra cost per row.
  Equality and uniqueness are unchanged (both collations are deterministic), and so is the
  order (the database's C.UTF-8 sorts by code point, as "C" sorts UTF-8 bytes).
- ``ix_products_title_search`` on ``lower(title) COLLATE "C"`` serves case-insensitive title
  prefixes in page order (ties by id: an incremental sort of the few equal titles). It is the
  one index this adds to the import's write path: a btree, without ``id`` in it (a smaller
  index to update per row; trigram GIN indexes tripled each row's cost, see 0008).

SQLite has neither collation nor the need: its catalogues are small, a search scans.

Revision ID: 0010_product_search
Revises: 0009_shipment_items
Create Date: 2026-12-02 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_product_search"
down_revision: str | Sequence[str] | None = "0009_shipment_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TITLE_INDEX = "ix_products_title_search"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("products", "sku", type_=sa.String(200, collation="C"), existing_type=sa.String(200))
    op.execute(f'CREATE INDEX {TITLE_INDEX} ON products ((lower(title) COLLATE "C"))')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX {TITLE_INDEX}")
    op.alter_column("products", "sku", type_=sa.String(200), existing_type=sa.String(200, collation="C"))
