"""Hub-side order actions: cancel, hold/release, choose a carrier by hand (Pending review), the
ship queue, and subscription usage.

Cancelling in the hub never cancels on the channel (DESIGN.md section 3). Cancelling an
unshipped order releases its committed units (available stock rises and is queued for every
channel); cancelling a shipped order does not restock: those units left the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.members import member_of
from core.db.models import TO_SHIP_STATUSES, Integration, Order, OrderItem, OrderStatus
from core.dto import Destination, Fulfilment
from core.errors import InputError, NotFoundError
from core.plugins import PluginManager
from core.services.carriers import disabled_pairs
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


CLOSED = (OrderStatus.SHIPPED, OrderStatus.CANCELLED)


def _destination(order: Order) -> Destination | None:
    if not order.ship_country:
        return None
    return Destination(order.ship_country.upper(), order.ship_postal_code, order.ship_state)


@dataclass(frozen=True, slots=True)
class CarrierChoice:
    """A carrier a person may choose for an order: it serves the destination's area."""

    code: str
    name: str
    area: str
    enabled: bool
    """False when the host switched it off there (choosing it by hand is still allowed)."""
    services: list[str]


def carrier_choices(session: Session, plugins: PluginManager, order_id: int) -> list[CarrierChoice]:
    """Every carrier whose areas include the order's destination, as the plugins place it."""
    order = get_order(session, order_id)
    destination = _destination(order)
    if destination is None:
        return []
    off = disabled_pairs(session, order.integration_id)
    choices = []
    for carrier in plugins.carriers().values():
        area = plugins.carrier_area(carrier.code, destination)
        if area is not None and area in carrier.areas:
            choices.append(
                CarrierChoice(
                    carrier.code,
                    carrier.name,
                    area,
                    (area, carrier.code) not in off,
                    [s.code for s in carrier.services],
                )
            )
    return choices


def assign_carrier(
    session: Session,
    plugins: PluginManager,
    order_id: int,
    carrier_code: str,
    service_code: str | None = None,
    *,
    force: bool = False,
) -> Order:
    """A person chooses the carrier of an open order: a Pending review order continues to fulfilment.

    A carrier serving the destination is accepted, even one the host disabled there (choosing
    it by hand is the point of Pending review); one that does not serve it only with ``force``
    (the person knows something the fee tables do not).
    """
    order = get_order(session, order_id)
    if order.status in CLOSED:
        raise InputError("order", f"order {order.id} is {order.status.value}; it needs no carrier")
    choices = carrier_choices(session, plugins, order_id)
    choice = next((c for c in choices if c.code == carrier_code), None)
    if choice is not None:
        services = choice.services
    elif force:
        installed = plugins.carriers()
        carrier = installed.get(carrier_code)
        if carrier is None:
            known = ", ".join(sorted(installed)) or "none installed"
            raise InputError("carrier", f"unknown carrier {carrier_code!r} (known: {known})")
        services = [s.code for s in carrier.services]
    else:
        where = choices[0].area if choices else "this order's destination"
        raise InputError("carrier", f"{carrier_code} does not serve {where}; choose another or use --force")
    service = service_code or (services[0] if services else None)
    if service is not None and service not in services:
        raise InputError("service", f"{carrier_code} has no service {service!r} (has: {', '.join(services)})")
    order.carrier_code, order.service_code, order.review_reason = carrier_code, service, None
    if order.status is OrderStatus.PENDING_REVIEW:
        order.status = OrderStatus.AWAITING_SHIPMENT
    session.flush()
    return order


@dataclass(frozen=True, slots=True)
class PendingOrder:
    """An order in Pending review: why, and the carriers a person may choose for it."""

    id: int
    channel_order_id: str
    integration: str
    integration_id: int
    destination: str
    area: str | None
    reason: str | None
    available: list[dict[str, object]]
    """Carriers serving the area: code, name, and whether enabled for the integration there."""


def pending_review(
    session: Session, plugins: PluginManager, integration_ids: Sequence[int] | None = None
) -> list[PendingOrder]:
    """Orders waiting for a person to choose a carrier, soonest ship-by first."""
    query = (
        select(Order, Integration.alias)
        .join(Integration, Integration.id == Order.integration_id)
        .where(Order.status == OrderStatus.PENDING_REVIEW)
        .order_by(Order.ship_by, Order.id)
    )
    if integration_ids is not None:
        query = query.where(member_of(Order.integration_id, list(integration_ids)))
    result = []
    for order, alias in session.execute(query).all():
        choices = carrier_choices(session, plugins, order.id)
        where = " ".join(p for p in (order.ship_country, order.ship_postal_code) if p) or "(no address)"
        result.append(
            PendingOrder(
                order.id,
                order.channel_order_id,
                alias,
                order.integration_id,
                where,
                choices[0].area if choices else None,
                order.review_reason,
                [{"code": c.code, "name": c.name, "enabled": c.enabled} for c in choices],
            )
        )
    return result


def hold(session: Session, order_id: int) -> Order:
    """Put an order awaiting shipment aside; nothing ships it until it is released."""
    order = get_order(session, order_id)
    if order.status is not OrderStatus.AWAITING_SHIPMENT:
        raise InputError(
            "order",
            f"{order.channel_order_id} is {order.status.value}; "
            "only orders awaiting shipment can be put on hold",
        )
    order.status = OrderStatus.ON_HOLD
    session.flush()
    return order


def release(session: Session, order_id: int) -> Order:
    """Return a held order to Awaiting shipment."""
    order = get_order(session, order_id)
    if order.status is not OrderStatus.ON_HOLD:
        raise InputError("order", f"{order.channel_order_id} is {order.status.value}, not on hold")
    order.status = OrderStatus.AWAITING_SHIPMENT
    session.flush()
    return order


DEFAULT_LATE_HOURS = 24
"""An unshipped order is at risk of shipping late when its ship-by date is this close (or past);
the CLI's ``--late-hours`` default and the console's late-risk filter."""
LATE_RISK_WITHIN = timedelta(hours=DEFAULT_LATE_HOURS)


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
    integration_id: int
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
    late_within: timedelta = LATE_RISK_WITHIN,
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
    return [
        QueueRow(
            order.id,
            order.channel_order_id,
            alias,
            order.integration_id,
            order.status.value,
            order.purchase_date,
            order.ship_by,
            is_late_risk(order, now, late_within),
        )
        for order, alias in session.execute(query.limit(limit))
    ]
