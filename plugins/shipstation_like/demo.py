"""This plugin's steps of ``channelhub demo``: ship a batch and tell the channel, then redact."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.api import (
    DemoOutcome,
    DemoStep,
    Fulfilment,
    Order,
    OrderStatus,
    PluginManager,
    create_shipment,
    utcnow,
)
from plugins.shipstation_like.notify import notify_pending
from plugins.shipstation_like.redaction import redact_due

BATCH = 25


def ship_batch(sessions: sessionmaker[Session], plugins: PluginManager, channel: str) -> DemoOutcome:
    """The 25 most urgent MFN orders with a carrier shipped with tracking, and the channel told."""
    with sessions() as session:
        ready = session.scalars(
            select(Order)
            .where(
                Order.status == OrderStatus.AWAITING_SHIPMENT,
                Order.fulfilment == Fulfilment.MFN,
                Order.carrier_code.is_not(None),
            )
            .order_by(Order.ship_by)
            .limit(BATCH)
        ).all()
        for n, order in enumerate(ready):
            create_shipment(session, plugins, [order], tracking=f"DEMO{n:08d}", batch_id="demo-batch-1")
        session.commit()
    summary = notify_pending(sessions, plugins)
    line = (
        f"\nShipped a batch of {len(ready)} orders with tracking numbers; {channel} was told of "
        f"{summary.sent} of them."
    )
    rows = [("shipments in the batch", len(ready)), (f"shipments {channel} was told of", int(summary.sent))]
    return DemoOutcome([line], rows)


def redact(sessions: sessionmaker[Session], plugins: PluginManager, channel: str) -> DemoOutcome:
    """Redaction as the daily schedule will run it 60 days from now."""
    with sessions() as session:
        count = redact_due(session, plugins, utcnow() + timedelta(days=60))
        session.commit()
    line = (
        "Redaction, as it will run 60 days from now: buyer names, addresses and phone numbers "
        f"removed from {count} orders {channel} no longer lets sellers keep."
    )
    return DemoOutcome([line], [("orders with buyer data removed", count)])


STEPS = (DemoStep("ship a batch", 10, ship_batch), DemoStep("redact buyer data", 20, redact))
