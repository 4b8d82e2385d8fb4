"""Overwriting the buyer's personal data that core's tables hold, for a redaction plugin's schedule.

When an order is due is the fulfilment plugin's rule (it knows the channel's policy and its own
shipments' dates); overwriting the order's columns is core's, as the only writer of its tables.
City, state, postal code and country stay: they are needed for tax and carrier statistics and
do not identify the buyer. The original values are not kept anywhere: redaction cannot be undone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String

from core.db.models import Order, OrderItem

ORDER_FIELDS = (
    "buyer_name",
    "buyer_email",
    "buyer_phone",
    "ship_name",
    "ship_line1",
    "ship_line2",
    "ship_line3",
    "ship_phone",
)
"""Order columns holding personal data."""


def marker(display_name: str) -> str:
    """What a redacted value reads, e.g. ``REDACTED (Amazon)``."""
    return f"REDACTED ({display_name})"


def fit(text: str, column: ColumnElement[Any]) -> str:
    """``text`` cut to the column's length, so a long marker never fails a short column."""
    length = column.type.length if isinstance(column.type, String) else None
    return text[:length] if length else text


def redact_order_fields(order: Order, text: str, now: datetime) -> list[str]:
    """Overwrite one order's personal data with ``text`` and mark it redacted at ``now``.

    Returns the names of the fields it changed (values are never returned or logged); gift
    messages appear as ``items[<channel item id>].gift_message``. The caller flushes.
    """
    touched = []
    for name in ORDER_FIELDS:
        if getattr(order, name) is not None:
            setattr(order, name, fit(text, Order.__table__.c[name]))
            touched.append(name)
    item: OrderItem
    for item in order.items:
        if item.gift_message is not None:
            item.gift_message = text
            touched.append(f"items[{item.channel_item_id}].gift_message")
    order.redacted_at = now
    return touched
