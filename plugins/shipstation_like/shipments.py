"""What the channel hears of each new shipment, planned when core creates it.

Core creates the parcel (``core.api.create_shipment``: whole, split or combined) and calls
``channelhub_shipment_created`` in the same transaction. The channel hears about each order
once (DESIGN.md section 3, Fulfilment); that decision is taken here and written as one
:class:`Notice` per order:

- the first shipment of an order gets the order's only ``notify`` notice, and the confirmation
  it later sends carries all the order's items, even if this parcel holds only some;
- later shipments of that order get ``not_required``;
- in a combined shipment only the first order not yet notified gets ``notify``; the others get
  ``manual``: someone must update them on the channel by hand (``shipments manual``).

A partial unique index allows one ``notify`` per order, so two people shipping the same order
at the same moment cannot both notify it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import Integration, NewShipment, NotifyState, Order, member_of
from plugins.shipstation_like.tables import LabelContact, Notice, NoticeAction, NoticeState

PREFILL_PHONE = "prefill_phone"
PREFILL_EMAIL = "prefill_email"
"""Integration settings keys: the phone and email put on labels when the buyer's are hidden."""


def _label_contact(session: Session, shipment: NewShipment) -> LabelContact:
    """Buyer's phone and email when the channel gave them, else the integration's prefill."""
    orders = session.scalars(
        select(Order).where(member_of(Order.id, list(shipment.order_ids))).order_by(Order.id)
    )
    phone, email = None, None
    for order in orders:
        phone = phone or order.ship_phone or order.buyer_phone
        email = email or order.buyer_email
    settings = session.get_one(Integration, shipment.integration_id).settings or {}
    return LabelContact(
        shipment_id=shipment.shipment_id,
        phone=phone or settings.get(PREFILL_PHONE),
        email=email or settings.get(PREFILL_EMAIL),
    )


def _notices(session: Session, shipment: NewShipment, now: datetime) -> list[Notice]:
    notified = set(
        session.scalars(
            select(Notice.order_id).where(
                member_of(Notice.order_id, list(shipment.order_ids)), Notice.action == NoticeAction.NOTIFY
            )
        )
    )
    notices, notifier_chosen = [], False
    for order_id in shipment.order_ids:
        if order_id in notified:
            action = NoticeAction.NOT_REQUIRED
        elif not notifier_chosen:
            action, notifier_chosen = NoticeAction.NOTIFY, True
        else:
            action = NoticeAction.MANUAL
        notice = Notice(
            shipment_id=shipment.shipment_id,
            order_id=order_id,
            integration_id=shipment.integration_id,
            action=action,
            attempts=0,
            possibly_sent=False,
            created_at=now,
        )
        if action is NoticeAction.NOTIFY:
            notice.state, notice.next_attempt_at = NoticeState.QUEUED, now
        notices.append(notice)
    return notices


def plan_notifications(session: Session, shipment: NewShipment) -> NotifyState:
    """Write the shipment's label contact and one notice per order; say whether the channel is
    to be told (a combined shipment always has its notifier; its other orders are MANUAL on
    their notices). The notify-once index makes a concurrent second notifier fail core's flush,
    which refuses the shipment."""
    session.add(_label_contact(session, shipment))
    notices = _notices(session, shipment, shipment.created_at)
    session.add_all(notices)
    notifies = any(n.action is NoticeAction.NOTIFY for n in notices)
    return NotifyState.PENDING if notifies else NotifyState.NOT_REQUIRED
