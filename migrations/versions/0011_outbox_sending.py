"""Outbox rows left SENDING by earlier versions go back to PENDING.

Earlier versions marked every claimed row SENDING before a push and put them back at the
start of the next run. The push now marks a row once, with its verdict (a second UPDATE of
every row cost as much as the rest of the database work), so nothing would put those rows
back: this does, once.

Revision ID: 0011_outbox_sending
Revises: 0010_product_search
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_outbox_sending"
down_revision: str | Sequence[str] | None = "0010_product_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")


def downgrade() -> None:
    """Nothing to undo: earlier versions push PENDING rows as they do SENDING ones."""
