"""Personal data redaction on the channel's schedule (DESIGN.md section 3, Fulfilment).

When each order is due:

- not shipped here (no shipment: unshipped, cancelled, or fulfilled by the channel):
  14 days after import;
- shipped with a service that tracks (the carrier supports tracking and the parcel has a
  tracking number): the soonest of 30 days after delivery, 30 days after the ship date and
  44 days after label creation;
- shipped without tracking: 30 days after the shipment was created.

An order with several shipments is due at the soonest of them. Quarantined records (orders
the hub could not take, kept encrypted in ``sync_errors``) lose their payload 14 days after
they were first seen, like an order that was never shipped here. Redaction overwrites name,
street lines, phones, email, gift messages and the label contact with ``REDACTED (<channel>)``,
keeps city, state, postal code and country, and logs which fields it touched, never their values.
The original values are not kept anywhere, so it cannot be undone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from core.api import (
    Integration,
    NotFoundError,
    Order,
    PluginManager,
    Shipment,
    drop_quarantined_payloads,
    fit,
    get_logger,
    marker,
    member_of,
    redact_order_fields,
    shipment_orders,
    utcnow,
)
from plugins.shipstation_like.tables import LabelContact, Redaction

log = get_logger(__name__)

UNSHIPPED_AFTER = timedelta(days=14)
TRACKED_AFTER_DELIVERY = timedelta(days=30)
TRACKED_AFTER_SHIP = timedelta(days=30)
TRACKED_AFTER_LABEL = timedelta(days=44)
UNTRACKED_AFTER_CREATION = timedelta(days=30)

BATCH = 200


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    rule: str


def shipment_due(shipment: Shipment, tracked_carrier: bool) -> Due:
    """When one shipment makes its orders due, and by which rule."""
    if tracked_carrier and shipment.tracking_number:
        candidates = [
            (shipment.delivered_at, TRACKED_AFTER_DELIVERY, "tracked: 30 days after delivery"),
            (shipment.shipped_at, TRACKED_AFTER_SHIP, "tracked: 30 days after ship date"),
            (shipment.label_created_at, TRACKED_AFTER_LABEL, "tracked: 44 days after label"),
        ]
        known = [Due(at + delta, rule) for at, delta, rule in candidates if at is not None]
        if known:
            return min(known, key=lambda d: d.at)
    return Due(shipment.created_at + UNTRACKED_AFTER_CREATION, "untracked: 30 days after shipment creation")


def order_due(order: Order, shipments: Iterable[Shipment], tracked_codes: set[str]) -> Due:
    dues = [shipment_due(s, s.carrier_code in tracked_codes) for s in shipments]
    if not dues:
        return Due(order.imported_at + UNSHIPPED_AFTER, "not shipped: 14 days after import")
    return min(dues, key=lambda d: d.at)


def _display_name(plugins: PluginManager, integration: Integration) -> str:
    try:
        return plugins.channel_type(integration.channel_key).display_name
    except NotFoundError:  # plugin uninstalled: the data must still go, under the key's name
        log.warning("channel plugin missing; redacting with its key", channel=integration.channel_key)
        return integration.channel_key


def redact_order(
    session: Session, order: Order, shipments: list[Shipment], text: str, due: Due, now: datetime
) -> list[str]:
    """Overwrite one order's personal data (core's columns through core, the label contact
    here) and record which rule did it; returns the names of the fields it changed."""
    touched = redact_order_fields(order, text, now)
    contacts = cast(
        CursorResult[Any],
        session.execute(
            update(LabelContact)
            .where(member_of(LabelContact.shipment_id, [s.id for s in shipments]))
            .values(phone=fit(text, LabelContact.__table__.c.phone), email=text)
            .execution_options(synchronize_session=False)
        ),
    )
    if contacts.rowcount:
        touched.append("label_contact")
    session.add(Redaction(order_id=order.id, rule=due.rule, due_at=due.at, redacted_at=now, fields=touched))
    return touched


def redact_due(session: Session, plugins: PluginManager, as_of: datetime) -> int:
    """Redact every order due at or before ``as_of``; returns how many. The caller commits.

    Runs daily from the scheduler; ``as_of`` lets a person catch up or check a date. Orders
    already redacted are skipped, so running it twice changes nothing.
    """
    tracked_codes = {code for code, carrier in plugins.carriers().items() if carrier.tracking}
    names: dict[int, str] = {}
    count = 0
    last_id = 0
    while True:
        orders = list(
            session.scalars(
                select(Order)
                .where(Order.redacted_at.is_(None), Order.id > last_id)
                .order_by(Order.id)
                .limit(BATCH)
            )
        )
        if not orders:
            dropped = drop_quarantined_payloads(session, as_of - UNSHIPPED_AFTER)
            if dropped:
                log.info("quarantine payloads redacted", entries=dropped)
            return count
        last_id = orders[-1].id
        by_order: dict[int, list[Shipment]] = {o.id: [] for o in orders}
        for order_id, shipment in session.execute(
            select(shipment_orders.c.order_id, Shipment)
            .join(Shipment, Shipment.id == shipment_orders.c.shipment_id)
            .where(member_of(shipment_orders.c.order_id, list(by_order)))
        ):
            by_order[order_id].append(shipment)
        for order in orders:
            due = order_due(order, by_order[order.id], tracked_codes)
            if due.at > as_of:
                continue
            if order.integration_id not in names:
                names[order.integration_id] = _display_name(
                    plugins, session.get_one(Integration, order.integration_id)
                )
            fields = redact_order(
                session, order, by_order[order.id], marker(names[order.integration_id]), due, utcnow()
            )
            log.info("order redacted", order_id=order.id, rule=due.rule, fields=fields)
            count += 1
        session.flush()
