"""Carrier selection costs a constant number of queries per batch, not one per order.

10,000 orders are imported through the orders stream (1,000 per batch) with BigBuy's carriers
installed and a non-default strategy stored for the integration; every statement sent while
carriers are being chosen is counted with SQLAlchemy's ``before_cursor_execute`` event. The
plugin's options are loaded once per batch (``channelhub_carrier_options``), so the count
stays at a handful per batch; before, ``strategy_for`` opened a pooled connection per order.
On PostgreSQL the decisions go in with the rows: no ``UPDATE orders`` during the import.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from core.db.models import Integration, IntegrationStatus, Order, OrderItem, OrderStatus
from core.db.session import session_factory
from core.dto import (
    Address,
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    Destination,
    Fulfilment,
    Money,
)
from core.plugins import PluginManager
from core.services import carrier_selection, sync
from core.services.order_import import NewOrder
from plugins.bigbuy_mip import plugin as bigbuy_plugin
from plugins.bigbuy_mip.catalogue import get_catalogue
from plugins.bigbuy_mip.models import CarrierStrategy
from plugins.bigbuy_mip.options import set_strategy
from plugins.bigbuy_mip.plugin import choose as choose_quote
from tests.conftest import ON_POSTGRES
from tests.fakes.channel import CHANNEL

ORDERS = 10_000
NOW = datetime.now(UTC)

pytestmark = pytest.mark.slow


def order(n: int) -> ChannelOrder:
    postcode = ("28001", "07001", "38001")[n % 3]  # mainland, Balearics, Canaries
    return ChannelOrder(
        channel_order_id=f"402-{n:07d}",
        status=ChannelOrderStatus.UNSHIPPED,
        fulfilment=Fulfilment.MFN,
        purchase_date=NOW - timedelta(minutes=n % 600),
        currency="EUR",
        items=(ChannelOrderItem(f"i-{n}", f"SKU-{n % 250}", 1 + n % 3, Money(Decimal("12.00"), "EUR")),),
        total=Money(Decimal("12.00"), "EUR"),
        shipping_address=Address("A Buyer", "Calle 1", postal_code=postcode, country_code="ES"),
    )


@pytest.fixture
def counted() -> Iterator[dict[str, Any]]:
    """Statements counted while ``state["on"]`` is true (i.e. during carrier selection)."""
    state: dict[str, Any] = {"on": False, "count": 0, "order_updates": 0}

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if state["on"]:
            state["count"] += 1
        state["order_updates"] += statement.startswith("UPDATE orders ")

    event.listen(Engine, "before_cursor_execute", count)
    yield state
    event.remove(Engine, "before_cursor_execute", count)


def test_selection_for_10000_imported_orders_makes_at_most_50_queries(
    session: Session,
    plugins_with_fake: PluginManager,
    integration: Integration,
    counted: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    CHANNEL.reset()
    CHANNEL.page_size = 100
    CHANNEL.orders = [order(n) for n in range(ORDERS)]
    integration.status = IntegrationStatus.LIVE
    integration.set_credentials({"api_key": "good-key-123"})
    set_strategy(session, integration.id, CarrierStrategy.FASTEST)
    session.commit()
    plugins = plugins_with_fake
    reads = [0]  # the catalogue file is checked once per batch (through the context), not per order

    def read_catalogue() -> Any:
        reads[0] += counted["on"]
        return get_catalogue()

    monkeypatch.setattr(bigbuy_plugin, "get_catalogue", read_catalogue)

    def choose(selection_session: Session, new: list[NewOrder]) -> dict[int, dict[str, Any]]:
        counted["on"] = True  # what the engine does, counted
        try:
            return carrier_selection.choose_for_import(selection_session, new, plugins=plugins)
        finally:
            counted["on"] = False

    run = sync.run_stream(session_factory(), plugins, integration.id, "orders", choose_carriers=choose)

    assert run.counts["created"] == ORDERS
    assert counted["count"] <= 50, f"{counted['count']} queries to choose carriers for {ORDERS} orders"
    if ON_POSTGRES:  # decided before the COPY: each order row is written once, never updated after
        assert counted["order_updates"] == 0
    assert 1 <= reads[0] <= ORDERS // 1_000, f"the catalogue was read {reads[0]} times for {ORDERS} orders"
    with_carrier = session.scalar(select(func.count()).where(Order.carrier_code.is_not(None)))
    assert with_carrier == ORDERS
    assert session.scalar(select(func.count()).where(Order.status != OrderStatus.AWAITING_SHIPMENT)) == 0
    # the stored strategy reached the hook through the context: each order got the fastest quote
    chosen = session.execute(
        select(Order.ship_postal_code, OrderItem.quantity, Order.carrier_code).join(OrderItem).distinct()
    ).all()
    differs = 0
    for postcode, quantity, carrier in chosen:
        quotes = get_catalogue().quotes(Destination("ES", postcode), Decimal(quantity))
        assert carrier == choose_quote(quotes, CarrierStrategy.FASTEST).carrier_code
        differs += choose_quote(quotes, CarrierStrategy.CHEAPEST).carrier_code != carrier
    assert differs, "no destination where fastest and cheapest differ: the test would not notice"
