"""The ``mcf`` stream: tracking for orders the channel fulfils for us (multi-channel fulfilment)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import (
    NotifyState,
    Order,
    OrderStatus,
    Shipment,
)
from core.dto import (
    FulfilmentUpdate,
)
from core.logs import get_logger
from core.services.streams.runner import Runner
from core.types import ChannelConnector

log = get_logger(__name__)


def _mcf(runner: Runner, connector: ChannelConnector) -> None:
    cursor = runner.saved_cursor()
    for page in connector.fetch_fulfilment_updates(cursor):
        with runner.sessions() as session:
            for update_ in page.updates:
                _apply_fulfilment_update(runner, session, update_)
            runner.commit_batch(session, page.cursor, save_cursor=True)
        runner.progress("mcf", len(page.updates))


def _apply_fulfilment_update(runner: Runner, session: Session, news: FulfilmentUpdate) -> None:
    """Tracking for an order the channel ships for us: a shipment that needs no notification."""
    order = session.scalar(
        select(Order).where(
            Order.integration_id == runner.integration.id, Order.channel_order_id == news.fulfilment_order_id
        )
    )
    if order is None:
        runner.run.add("mcf_unmatched")
        return
    key = f"mcf:{runner.integration.id}:{news.fulfilment_order_id}"
    shipment = session.scalar(select(Shipment).where(Shipment.idempotency_key == key))
    if shipment is None:
        shipment = Shipment(
            carrier_code=news.carrier or f"{runner.integration.channel_key}-mcf",  # the channel ships it
            idempotency_key=key,
            orders=[order],
            notify_state=NotifyState.NOT_REQUIRED,
        )
        session.add(shipment)
    shipment.tracking_number = news.tracking_numbers[0] if news.tracking_numbers else shipment.tracking_number
    shipment.shipped_at = news.shipped_at or shipment.shipped_at
    shipment.delivered_at = news.delivered_at or shipment.delivered_at
    if news.shipped_at and order.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        order.status = OrderStatus.SHIPPED
    runner.run.add("mcf_updated")


class McfStream:
    """The ``mcf`` stream, as the sync engine runs it."""

    name = "mcf"

    def run(self, runner: Runner, connector: ChannelConnector) -> None:
        _mcf(runner, connector)
