"""confirmShipment and createFeed are never sent twice because an answer was lost.

A transport between the client and the sandbox lets the request through (Amazon processes
it) and then loses the answer: a dropped connection, or a 500 in its place. The sandbox's own
records (confirmations, feeds) are the witness of how many times Amazon was told.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Order, OrderStatus
from core.db.session import session_factory
from core.dto import Fulfilment, QuantityUpdate, ShipmentConfirmation, ShipmentLine
from core.plugins import PluginManager
from core.services import integrations, sync
from plugins.amazon import connector as connector_module
from plugins.amazon.client import AmazonInputError, AmazonOutcomeUnknownError
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from tests.amazon.test_client import fault, make_client
from tests.amazon.test_connector import connect


class LosingTransport(httpx.HTTPTransport):
    """Forwards every request; for the next ``count`` ones to ``path_part`` the answer is lost."""

    def __init__(self, path_part: str, count: int = 1, *, as_500: bool = False) -> None:
        super().__init__()
        self.path_part, self.count, self.as_500 = path_part, count, as_500

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self.path_part in request.url.path and self.count > 0:
            self.count -= 1
            response.read()
            response.close()
            if self.as_500:
                return httpx.Response(500, json={"errors": [{"code": "InternalFailure", "message": "lost"}]})
            raise httpx.RemoteProtocolError("server closed the connection without an answer", request=request)
        return response


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=5, orders=300, time_scale=600)) as sb:
        yield sb


def fresh_order(sb: RunningSandbox) -> str:
    """An order id Amazon was never told about (the sandbox records every confirmShipment call)."""
    told = {c.order_id for c in sb.state.confirmations}
    return next(order_id for order_id in sb.state.orders.by_id if order_id not in told)


def confirmations_of(sb: RunningSandbox, order_id: str) -> int:
    return sum(c.order_id == order_id for c in sb.state.confirmations)


@pytest.fixture
def losing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LosingTransport]]:
    """Connectors built from now on talk to the sandbox through a transport the test arms."""
    transports: list[LosingTransport] = []
    real = httpx.Client

    def client(**kwargs: object) -> httpx.Client:
        transport = LosingTransport("never", count=0)
        transports.append(transport)
        return real(transport=transport, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(connector_module.httpx, "Client", client)
    yield transports


def test_connector_asks_amazon_before_confirming_again(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox, losing: list[LosingTransport]
) -> None:
    integration_id = connect(session, plugins, sandbox)
    sync.run_stream(session_factory(), plugins, integration_id, "orders")
    told = {c.order_id for c in sandbox.state.confirmations}
    order = next(
        o
        for o in session.scalars(
            select(Order).where(
                Order.status == OrderStatus.AWAITING_SHIPMENT, Order.fulfilment == Fulfilment.MFN
            )
        )
        if o.channel_order_id not in told
    )
    connector = integrations.build_connector(integrations.get_integration(session, integration_id), plugins)
    losing[-1].path_part, losing[-1].count = "shipmentConfirmation", 1
    try:
        (result,) = connector.confirm_shipments(
            [
                ShipmentConfirmation(
                    channel_order_id=order.channel_order_id,
                    idempotency_key="ship-lost",
                    carrier_code="Royal Mail",
                    ship_date=datetime.now(UTC),
                    lines=tuple(ShipmentLine(i.channel_item_id, i.quantity) for i in order.items),
                    tracking_number="RM1",
                )
            ]
        )
    finally:
        connector.close()
    assert result.ok and result.already_confirmed  # getOrder showed Amazon had it
    assert confirmations_of(sandbox, order.channel_order_id) == 1


def test_connector_asks_amazon_before_creating_a_feed_again(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox, losing: list[LosingTransport]
) -> None:
    integration_id = connect(session, plugins, sandbox)
    sync.run_stream(session_factory(), plugins, integration_id, "products")
    sku = next(
        sku for sku, listing in sandbox.state.listings.items() if listing.fulfillment_channel == "DEFAULT"
    )
    connector = integrations.build_connector(integrations.get_integration(session, integration_id), plugins)
    losing[-1].path_part, losing[-1].count = "/feeds/2021-06-30/feeds", 1
    feeds_before = len(sandbox.state.feeds)
    try:
        result = connector.push_quantities([QuantityUpdate(sku, 41)])
    finally:
        connector.close()
    assert len(sandbox.state.feeds) == feeds_before + 1, "createFeed was sent twice"
    assert [r.ok for r in result.results] == [True] and sandbox.state.listings[sku].quantity == 41


@pytest.mark.parametrize("as_500", [False, True], ids=["dropped-connection", "500-after-processing"])
def test_client_never_repeats_a_confirmation_whose_answer_was_lost(
    sandbox: RunningSandbox, as_500: bool
) -> None:
    client = make_client(sandbox)
    client._http = httpx.Client(transport=LosingTransport("shipmentConfirmation", as_500=as_500))
    order_id = fresh_order(sandbox)
    with pytest.raises(AmazonOutcomeUnknownError) as unknown:
        client.confirm_shipment(order_id, {})
    assert unknown.value.operation == "ordersV0.confirmShipment"
    assert client.metrics.requests["ordersV0.confirmShipment"] == 1, "a non-idempotent POST was retried"
    assert confirmations_of(sandbox, order_id) == 1
    client.close()


def test_a_throttled_confirmation_is_still_retried(sandbox: RunningSandbox) -> None:
    client = make_client(sandbox)
    order_id = fresh_order(sandbox)
    fault(sandbox, "ordersV0.confirmShipment", 429, 2)  # refused unprocessed: safe to send again
    with pytest.raises(AmazonInputError):  # the third attempt reached the handler (an empty body)
        client.confirm_shipment(order_id, {})
    assert client.metrics.requests["ordersV0.confirmShipment"] == 3
    assert confirmations_of(sandbox, order_id) == 1
    client.close()


def test_a_get_whose_answer_was_lost_is_retried(sandbox: RunningSandbox) -> None:
    client = make_client(sandbox)
    client._http = httpx.Client(transport=LosingTransport("/orders/2026-01-01/orders/", count=2))
    assert client.get_order(fresh_order(sandbox))
    assert client.metrics.requests["orders.getOrder"] == 3
    client.close()
