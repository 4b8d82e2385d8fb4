"""Hub-side order actions: cancel, and subscription usage.

Cancelling in the hub never cancels on the channel (DESIGN.md section 3). Cancelling an
unshipped order releases its committed units (available stock rises and is queued for every
channel); cancelling a shipped order does not restock: those units left the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Integration, Order, OrderItem, OrderStatus
from core.dto import Fulfilment
from core.errors import InputError, NotFoundError
from core.services.catalog import UNSHIPPED, enqueue_quantities

ORDER_WEIGHT = {Fulfilment.MFN: Decimal("1"), Fulfilment.FBA: Decimal("0.5")}
"""How much one order counts against a subscription's monthly limit."""


def get_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError(f"no order with id {order_id}")
    return order


def as_id(text: str) -> int | None:
    """``text`` as a hub id when it is one (ASCII digits within a PostgreSQL INTEGER), else None:
    ``str.isdigit`` also accepts digits such as "²" that ``int`` refuses."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= 2**31 - 1 else None


def find_order(session: Session, reference: str, integration: Integration | None = None) -> Order:
    """The order a person means by ``reference``: a channel order id, ``ALIAS:ID``, or the hub id.

    A channel order id is unique per integration only: within ``integration`` when given,
    and when two integrations have it the error asks for the alias form instead of guessing.
    """
    query = select(Order).where(Order.channel_order_id == reference)
    if integration is not None:
        query = query.where(Order.integration_id == integration.id)
    matches = list(session.scalars(query))
    if not matches and ":" in reference:
        alias, channel_id = reference.split(":", 1)
        matches = list(
            session.scalars(
                select(Order)
                .join(Integration, Integration.id == Order.integration_id)
                .where(Integration.alias == alias, Order.channel_order_id == channel_id)
            )
        )
    if not matches and (hub_id := as_id(reference)) is not None:
        order = session.get(Order, hub_id)
        if order is not None and (integration is None or order.integration_id == integration.id):
            matches = [order]
    if not matches:
        raise NotFoundError(
            f"order {reference!r} does not exist (give a channel order id, ALIAS:ID or the hub order id)"
        )
    if len(matches) > 1:
        raise InputError(
            "order", f"{reference!r} exists on several integrations; write it as ALIAS:{reference}"
        )
    return matches[0]


def cancel(session: Session, order_id: int) -> Order:
    """Cancel in the hub only; restock when the units had not shipped."""
    order = get_order(session, order_id)
    if order.status is OrderStatus.CANCELLED:
        return order
    was_unshipped = order.status in UNSHIPPED
    order.status = OrderStatus.CANCELLED
    session.flush()
    if was_unshipped:
        products = session.scalars(select(OrderItem.product_id).where(OrderItem.order_id == order.id))
        enqueue_quantities(session, [p for p in products if p is not None])
    return order


@dataclass(frozen=True, slots=True)
class Usage:
    month: str
    mfn_orders: int
    fba_orders: int
    counted: Decimal


def usage(session: Session, month: str) -> Usage:
    """Orders purchased in ``month`` (YYYY-MM), MFN counting 1 and FBA 0.5."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise InputError("month", f"must look like 2026-11, got {month!r}") from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    counts = dict(
        session.execute(
            select(Order.fulfilment, func.count())
            .where(Order.purchase_date >= start, Order.purchase_date < end)
            .group_by(Order.fulfilment)
        ).all()
    )
    mfn, fba = counts.get(Fulfilment.MFN, 0), counts.get(Fulfilment.FBA, 0)
    return Usage(month, mfn, fba, mfn * ORDER_WEIGHT[Fulfilment.MFN] + fba * ORDER_WEIGHT[Fulfilment.FBA])
