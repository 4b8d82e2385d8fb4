"""Creating shipments (whole, split or combined) and recording what the channel was told.

Core owns the parcel: the ``shipments`` row, its orders, the units of each order item it
carries (``shipment_items``), and the order's move to Shipped once every unit is in a parcel
(its units then leave on-hand stock). Telling the channel is a fulfilment plugin's job: it
hears of each new shipment through ``channelhub_shipment_created`` in the same transaction,
plans its notifications there, and reports each outcome back through
:func:`record_notification`, so core stays the only writer of its tables (DESIGN.md section 1).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.members import member_of
from core.db.models import NotifyState, Order, OrderItem, OrderStatus, Shipment, ShipmentItem
from core.dto import Fulfilment, NewShipment
from core.errors import InputError
from core.plugins import PluginManager
from core.services.catalog import ship_units


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """Ship ``quantity`` units (None: all remaining) of the order line named by ``reference``
    (its channel item id, or its SKU)."""

    reference: str
    quantity: int | None = None

    @classmethod
    def parse(cls, text: str) -> ItemRequest:
        """``ITEM`` or ``ITEM:QTY`` (``--item`` options, the CSV ``items`` column, the console)."""
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
        select(ShipmentItem.order_item_id, func.sum(ShipmentItem.quantity))
        .where(member_of(ShipmentItem.order_item_id, list(item_ids)))
        .group_by(ShipmentItem.order_item_id)
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
        code = assigned.pop() if len(assigned) == 1 else None
        if code is None:
            raise InputError("carrier", "no carrier given and the order(s) have no single assigned carrier")
        carrier_code = code
        services = {o.service_code for o in orders}
        service = service or (services.pop() if len(services) == 1 else None)
    carriers = plugins.carriers()
    carrier = carriers.get(carrier_code)
    if carrier is None:
        known = ", ".join(sorted(carriers)) or "none installed"
        raise InputError("carrier", f"unknown carrier {carrier_code!r} (known: {known})")
    if service is not None and carrier.services and service not in {s.code for s in carrier.services}:
        known = ", ".join(s.code for s in carrier.services)
        raise InputError("service", f"carrier {carrier_code!r} has no service {service!r} (known: {known})")
    return carrier_code, service


def _notify_state(answers: Sequence[object]) -> NotifyState:
    """What the fulfilment plugins said: someone will tell the channel (pending), nobody needs
    to (not required), or, with no fulfilment plugin installed, a person must (manual)."""
    states = [a for a in answers if isinstance(a, NotifyState)]
    if NotifyState.PENDING in states:
        return NotifyState.PENDING
    return states[0] if states else NotifyState.MANUAL


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

    Writes the shipment and its items, lets fulfilment plugins plan the channel's notification
    (``channelhub_shipment_created``), and marks each order Shipped once all its units are in
    shipments. Nothing is sent to the channel here; the caller commits.
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
        idempotency_key=idempotency_key or f"sh-{uuid.uuid4().hex}",
    )
    shipment.orders = list(orders)
    session.add(shipment)
    try:
        session.flush()
        session.add_all(
            ShipmentItem(shipment_id=shipment.id, order_item_id=i.id, quantity=n) for i, n in lines
        )
        session.flush()
        created = NewShipment(
            shipment.id,
            orders[0].integration_id,
            tuple(sorted(o.id for o in orders)),
            carrier_code,
            service,
            shipment.tracking_number,
            now,
        )
        shipment.notify_state = _notify_state(plugins.shipment_created(session, created))
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


def record_notification(
    session: Session,
    shipment_id: int,
    *,
    state: NotifyState | None,
    attempts: int,
    error: str | None,
    now: datetime,
) -> None:
    """A fulfilment plugin's attempt to tell the channel: how many tries, the last error, and the
    new state (None: still pending, e.g. throttled and queued again)."""
    values: dict[str, object] = {"notify_attempts": attempts, "notify_error": error}
    if state is not None:
        values["notify_state"] = state
    if state is NotifyState.SENT:
        values["notified_at"] = now
    session.execute(
        update(Shipment)
        .where(Shipment.id == shipment_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def reopen_failed_notifications(session: Session, shipment_ids: Sequence[int]) -> None:
    """Failed shipments become pending again: a person fixed the cause and queued them anew."""
    session.execute(
        update(Shipment)
        .where(member_of(Shipment.id, list(shipment_ids)), Shipment.notify_state == NotifyState.FAILED)
        .values(notify_state=NotifyState.PENDING)
        .execution_options(synchronize_session=False)
    )
