"""Creating shipments: whole, split (some items) or combined (several orders in one parcel).

The channel hears about each order once (DESIGN.md section 3, Fulfilment). That decision is
taken here, when the parcel is created, and written as one :class:`Notice` per order:

- the first shipment of an order gets the order's only ``notify`` notice, and the confirmation
  it later sends carries all the order's items, even if this parcel holds only some;
- later shipments of that order get ``not_required``;
- in a combined shipment only the first order not yet notified gets ``notify``; the others get
  ``manual``: someone must update them on the channel by hand (``shipments manual``).

A partial unique index allows one ``notify`` per order, so two people shipping the same order
at the same moment cannot both notify it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.api import (
    Fulfilment,
    InputError,
    Integration,
    NotifyState,
    Order,
    OrderItem,
    OrderStatus,
    PluginManager,
    Shipment,
    member_of,
    ship_units,
    utcnow,
)
from plugins.shipstation_like.tables import (
    LabelContact,
    Notice,
    NoticeAction,
    NoticeState,
    ShipmentLine,
)

PREFILL_PHONE = "prefill_phone"
PREFILL_EMAIL = "prefill_email"
"""Integration settings keys: the phone and email put on labels when the buyer's are hidden."""


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """Ship ``quantity`` units (None: all remaining) of the order line named by ``reference``
    (its channel item id, or its SKU)."""

    reference: str
    quantity: int | None = None

    @classmethod
    def parse(cls, text: str) -> ItemRequest:
        """``ITEM`` or ``ITEM:QTY`` (``--item`` options and the CSV ``items`` column)."""
        reference, _, qty = text.strip().partition(":")
        if not reference:
            raise InputError("items", f"{text!r} names no item; write ITEM or ITEM:QTY")
        if not qty:
            return cls(reference)
        if not qty.isdigit() or int(qty) < 1:
            raise InputError("items", f"quantity in {text!r} must be a whole number of 1 or more")
        return cls(reference, int(qty))


def shipped_units(session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    """Units of each order item already in a shipment."""
    rows = session.execute(
        select(ShipmentLine.order_item_id, func.sum(ShipmentLine.quantity))
        .where(member_of(ShipmentLine.order_item_id, list(item_ids)))
        .group_by(ShipmentLine.order_item_id)
    )
    return {item_id: int(units) for item_id, units in rows}


def _lock(session: Session, orders: Sequence[Order]) -> None:
    """Lock and re-read the orders (PostgreSQL), so two people shipping the same order at once
    take turns and the second sees the first one's shipment; SQLite has one writer anyway."""
    if orders:
        session.execute(
            select(Order)
            .where(member_of(Order.id, [o.id for o in orders]))
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )


def _check_shippable(orders: Sequence[Order]) -> None:
    if not orders:
        raise InputError("order", "give at least one order")
    ids = [o.id for o in orders]
    if len(set(ids)) != len(ids):
        raise InputError("order", "the same order is listed twice")
    if len({o.integration_id for o in orders}) > 1:
        raise InputError("order", "orders of different integrations cannot share one shipment")
    for order in orders:
        if order.fulfilment is not Fulfilment.MFN:
            raise InputError(
                "order", f"{order.channel_order_id} is fulfilled by the channel, not shipped here"
            )
        if order.status is not OrderStatus.AWAITING_SHIPMENT:
            raise InputError(
                "order",
                f"{order.channel_order_id} is {order.status.value}; only orders awaiting shipment ship",
            )


def _lines(
    session: Session, orders: Sequence[Order], items: Sequence[ItemRequest]
) -> list[tuple[OrderItem, int]]:
    """The (order item, units) this parcel carries: the requested ones, or all remaining."""
    all_items = [item for order in orders for item in order.items]
    done = shipped_units(session, [i.id for i in all_items])
    remaining = {i.id: i.quantity - done.get(i.id, 0) for i in all_items}
    if not items:
        lines = [(i, remaining[i.id]) for i in all_items if remaining[i.id] > 0]
        if not lines:
            raise InputError("order", "every item of the order(s) is already in a shipment")
        return lines
    if len(orders) > 1:
        raise InputError("items", "items can be chosen for one order only; combined orders ship whole")
    chosen: dict[int, tuple[OrderItem, int]] = {}
    for request in items:
        matches = [i for i in all_items if request.reference in (i.channel_item_id, i.sku)]
        if len(matches) != 1:
            problem = "matches no line" if not matches else "matches several lines; use the item id"
            raise InputError(
                "items", f"{request.reference!r} {problem} of order {orders[0].channel_order_id}"
            )
        item = matches[0]
        if item.id in chosen:
            raise InputError("items", f"{request.reference!r} is listed twice")
        units = remaining[item.id] if request.quantity is None else request.quantity
        if units < 1 or units > remaining[item.id]:
            raise InputError(
                "items", f"{request.reference!r}: {units} asked, {remaining[item.id]} left to ship"
            )
        chosen[item.id] = (item, units)
    return list(chosen.values())


def _carrier(
    plugins: PluginManager, orders: Sequence[Order], carrier_code: str | None, service: str | None
) -> tuple[str, str | None]:
    """The carrier given, else the one carrier selection assigned; it must be installed."""
    if carrier_code is None:
        assigned = {o.carrier_code for o in orders}
        if len(assigned) != 1 or None in assigned:
            raise InputError("carrier", "no carrier given and the order(s) have no single assigned carrier")
        carrier_code = assigned.pop()
        services = {o.service_code for o in orders}
        service = service or (services.pop() if len(services) == 1 else None)
    assert carrier_code is not None
    carriers = plugins.carriers()
    carrier = carriers.get(carrier_code)
    if carrier is None:
        known = ", ".join(sorted(carriers)) or "none installed"
        raise InputError("carrier", f"unknown carrier {carrier_code!r} (known: {known})")
    if service is not None and carrier.services and service not in {s.code for s in carrier.services}:
        known = ", ".join(s.code for s in carrier.services)
        raise InputError("service", f"carrier {carrier_code!r} has no service {service!r} (known: {known})")
    return carrier_code, service


def _label_contact(integration: Integration, orders: Sequence[Order]) -> LabelContact:
    """Buyer's phone and email when the channel gave them, else the integration's prefill."""
    settings = integration.settings or {}
    phone = next((p for o in orders for p in (o.ship_phone, o.buyer_phone) if p), None)
    email = next((o.buyer_email for o in orders if o.buyer_email), None)
    return LabelContact(
        phone=phone or settings.get(PREFILL_PHONE), email=email or settings.get(PREFILL_EMAIL)
    )


def _plan_notices(session: Session, shipment: Shipment, orders: Sequence[Order], now: datetime) -> None:
    notified = set(
        session.scalars(
            select(Notice.order_id).where(
                member_of(Notice.order_id, [o.id for o in orders]), Notice.action == NoticeAction.NOTIFY
            )
        )
    )
    notifier_chosen = False
    for order in sorted(orders, key=lambda o: o.id):
        if order.id in notified:
            action = NoticeAction.NOT_REQUIRED
        elif not notifier_chosen:
            action, notifier_chosen = NoticeAction.NOTIFY, True
        else:
            action = NoticeAction.MANUAL
        notice = Notice(
            shipment_id=shipment.id,
            order_id=order.id,
            integration_id=order.integration_id,
            action=action,
            attempts=0,
            possibly_sent=False,
            created_at=now,
        )
        if action is NoticeAction.NOTIFY:
            notice.state, notice.next_attempt_at = NoticeState.QUEUED, now
        session.add(notice)
    # A combined shipment always has its notifier; its other orders' MANUAL is on their notices.
    shipment.notify_state = NotifyState.PENDING if notifier_chosen else NotifyState.NOT_REQUIRED


def create_shipment(
    session: Session,
    plugins: PluginManager,
    orders: Sequence[Order],
    *,
    carrier_code: str | None = None,
    service: str | None = None,
    tracking: str | None = None,
    items: Sequence[ItemRequest] = (),
    batch_id: str | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Shipment:
    """One parcel for ``orders`` (several: combined) or for some ``items`` of one order (split).

    Writes the shipment, its lines, its label contact and one notice per order, and marks each
    order Shipped once all its units are in shipments. Nothing is sent to the channel here:
    :func:`plugins.shipstation_like.notify.notify_pending` does that, after the commit.
    """
    now = now or utcnow()
    _lock(session, orders)
    _check_shippable(orders)
    lines = _lines(session, orders, items)
    carrier_code, service = _carrier(plugins, orders, carrier_code, service)
    shipment = Shipment(
        carrier_code=carrier_code,
        service_code=service,
        tracking_number=(tracking or "").strip() or None,
        batch_id=batch_id,
        label_created_at=now,
        shipped_at=now,
        created_at=now,
        notify_attempts=0,
        idempotency_key=idempotency_key or f"ss-{uuid.uuid4().hex}",
    )
    shipment.orders = list(orders)
    session.add(shipment)
    try:
        session.flush()
        session.add_all(
            ShipmentLine(shipment_id=shipment.id, order_item_id=i.id, quantity=n) for i, n in lines
        )
        contact = _label_contact(session.get_one(Integration, orders[0].integration_id), orders)
        contact.shipment_id = shipment.id
        session.add(contact)
        _plan_notices(session, shipment, orders, now)
        session.flush()
    except IntegrityError as exc:
        raise InputError(
            "order", "another shipment for this order was created at the same moment; try again"
        ) from exc
    done = shipped_units(session, [i.id for o in orders for i in o.items])
    for order in orders:
        if order.status is not OrderStatus.SHIPPED and all(
            done.get(i.id, 0) >= i.quantity for i in order.items
        ):
            order.status = OrderStatus.SHIPPED
            ship_units(session, order.id)  # the units leave the warehouse: lower stock on hand
    return shipment
