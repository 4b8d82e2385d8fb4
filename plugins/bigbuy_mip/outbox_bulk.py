"""Bulk writes of outbox rows: COPY on PostgreSQL, multi-row INSERT elsewhere.

Price rules and filters can touch a whole catalogue at once; one ORM object per row would take
minutes for a million listings. The rows are the same ones ``core.services.catalog`` writes
(pending, no attempts yet), in the caller's transaction, so they commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import OutboxEntry, OutboxKind, OutboxState

COLUMNS = (
    "integration_id",
    "kind",
    "sku",
    "quantity",
    "price",
    "currency",
    "state",
    "attempts",
    "created_at",
)
OutboxRow = tuple[int, OutboxKind, str, int | None, Decimal | None, str | None]
"""(integration id, kind, channel SKU, quantity, price, currency)."""


def write(session: Session, rows: Sequence[OutboxRow]) -> int:
    """Insert pending outbox rows; returns how many."""
    if not rows:
        return 0
    now = utcnow()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {OutboxEntry.__tablename__} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            pending = OutboxState.PENDING.value
            for integration_id, kind, sku, quantity, price, currency in rows:
                copy.write_row((integration_id, kind.value, sku, quantity, price, currency, pending, 0, now))
        return len(rows)
    session.execute(
        insert(OutboxEntry),
        [dict(zip(COLUMNS, (*row, OutboxState.PENDING, 0, now), strict=True)) for row in rows],
    )
    return len(rows)
