"""The safety net behind carrier selection: every shippable order ends up with a carrier.

Carrier selection runs on each import batch's *new* unshipped orders. Two kinds of order slip
past that: one that becomes shippable later (awaiting payment, then awaiting shipment on a
later import, as an update), and one whose worker died between the import commit and the
selection. The sweep finds every MFN order awaiting shipment with neither a carrier nor a
review reason and hands it to :func:`carrier_selection.select_carriers`. It is idempotent: an
order that got a carrier or a review reason no longer matches, so running it after every
orders run costs one indexed scan when there is nothing to do.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Order, OrderStatus
from core.dto import Fulfilment
from core.plugins import PluginManager
from core.services import carrier_selection

CHUNK = carrier_selection.CHUNK


def sweep(session: Session, plugins: PluginManager, integration_id: int) -> int:
    """Select carriers for the integration's shippable orders still without one.

    Commits per chunk, so the row locks of a large sweep are held briefly. Returns how many
    orders were handed to selection.
    """
    after = 0
    handed = 0
    while True:
        ids = list(
            session.scalars(
                select(Order.id)
                .where(
                    Order.id > after,
                    Order.integration_id == integration_id,
                    Order.status == OrderStatus.AWAITING_SHIPMENT,
                    Order.fulfilment == Fulfilment.MFN,
                    Order.carrier_code.is_(None),
                    Order.review_reason.is_(None),
                )
                .order_by(Order.id)
                .limit(CHUNK)
            )
        )
        if not ids:
            return handed
        carrier_selection.select_carriers(session, plugins, ids)
        session.commit()
        handed += len(ids)
        after = ids[-1]
