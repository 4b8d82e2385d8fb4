"""Finding orders by what people type, and the order workflow: hold, release, ship-by queue.

Statuses are core's (:class:`core.db.models.OrderStatus`). This module only moves orders
between the states a person controls; import sets the rest (FBA orders arrive Shipped, carrier
selection sends orders to Pending review), and shipping sets Shipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import TO_SHIP_STATUSES, InputError, Integration, Order, OrderStatus

DEFAULT_LATE_HOURS = 24


def hold(order: Order) -> None:
    """Put an order awaiting shipment aside; nothing ships it until it is released."""
    if order.status is not OrderStatus.AWAITING_SHIPMENT:
        raise InputError(
            "order",
            f"{order.channel_order_id} is {order.status.value}; only orders "
            "awaiting shipment can be put on hold",
        )
    order.status = OrderStatus.ON_HOLD


def release(order: Order) -> None:
    """Return a held order to Awaiting shipment."""
    if order.status is not OrderStatus.ON_HOLD:
        raise InputError("order", f"{order.channel_order_id} is {order.status.value}, not on hold")
    order.status = OrderStatus.AWAITING_SHIPMENT


def is_late_risk(order: Order, now: datetime, within: timedelta) -> bool:
    """True when an unshipped order's ship-by date has passed or falls within ``within``."""
    return order.status in TO_SHIP_STATUSES and order.ship_by is not None and order.ship_by <= now + within


class QueueSort(StrEnum):
    SHIP_BY = "ship-by"
    SHIP_BY_DESC = "-ship-by"
    PURCHASE_DATE = "purchase-date"
    PURCHASE_DATE_DESC = "-purchase-date"


@dataclass(frozen=True, slots=True)
class QueueRow:
    order_id: int
    channel_order_id: str
    integration: str
    status: str
    purchase_date: datetime
    ship_by: datetime | None
    late_risk: bool


def ship_queue(
    session: Session,
    *,
    now: datetime,
    statuses: Sequence[OrderStatus] = TO_SHIP_STATUSES,
    sort: QueueSort = QueueSort.SHIP_BY,
    late_within: timedelta = timedelta(hours=DEFAULT_LATE_HOURS),
    late_only: bool = False,
    limit: int = 200,
) -> list[QueueRow]:
    """Orders to work on, sorted by ship-by (orders without one last) or purchase date."""
    column = Order.ship_by if sort in (QueueSort.SHIP_BY, QueueSort.SHIP_BY_DESC) else Order.purchase_date
    order_by = column.desc().nulls_last() if sort.value.startswith("-") else column.asc().nulls_last()
    query = (
        select(Order, Integration.alias)
        .join(Integration, Integration.id == Order.integration_id)
        .where(Order.status.in_(list(statuses)))
        .order_by(order_by, Order.id)
    )
    if late_only:
        query = query.where(Order.ship_by.is_not(None), Order.ship_by <= now + late_within)
    rows = []
    for order, alias in session.execute(query.limit(limit)):
        rows.append(
            QueueRow(
                order.id,
                order.channel_order_id,
                alias,
                order.status.value,
                order.purchase_date,
                order.ship_by,
                is_late_risk(order, now, late_within),
            )
        )
    return rows
