"""The Amazon connector and the sync engine against the sandbox, over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import (
    Integration,
    IntegrationStatus,
    Listing,
    Order,
    OrderStatus,
    OutboxEntry,
    OutboxState,
)
from core.db.session import session_factory
from core.dto import Fulfilment, ShipmentConfirmation, ShipmentLine
from core.errors import ChannelAuthError
from core.plugins import PluginManager
from core.services import catalog, integrations, sync
from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox

UK = BY_CODE["UK"]


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=7, orders=400, time_scale=600)) as sb:
        yield sb


def connect(
    session: Session, plugins: PluginManager, sb: RunningSandbox, market: str = "UK", **extra: object
) -> int:
    c = sb.credentials
    integration = integrations.add(
        session,
        plugins,
        channel="amazon",
        verify=False,
        marketplace=market,
        alias=f"amazon-{market.lower()}",
        settings={"seller_id": c.seller_id, "endpoint": sb.base_url, **extra},
        credentials={
            "refresh_token": c.refresh_token,
            "client_id": c.client_id,
            "client_secret": c.client_secret,
        },
    )
    session.commit()
    integrations.verify(session, integration.id, plugins)
    session.commit()
    return integration.id


def seeded(sb: RunningSandbox, marketplace_id: str) -> set[str]:
    since = datetime.now(UTC) - timedelta(days=30)
    return {
        order_id
        for order_id, stored in sb.state.orders.by_id.items()
        if stored.spec.marketplace.marketplace_id == marketplace_id and stored.spec.last_updated >= since
    }


def test_a_fresh_integration_imports_every_seeded_order_once(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox)
    assert session.get(Integration, integration_id).status is IntegrationStatus.LIVE  # type: ignore[union-attr]

    first = sync.run_stream(session_factory(), plugins, integration_id, "orders")
    imported = set(session.scalars(select(Order.channel_order_id)))
    assert imported == seeded(sandbox, UK.channel_id) and first.counts["created"] == len(imported) > 50

    second = sync.run_stream(session_factory(), plugins, integration_id, "orders")
    assert second.counts.get("created", 0) == 0
    assert session.scalar(select(func.count()).select_from(Order)) == len(imported)


def test_mapping_rules_on_sandbox_orders(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox)
    sync.run_stream(session_factory(), plugins, integration_id, "orders")
    orders = session.scalars(select(Order)).all()
    fba = [o for o in orders if o.fulfilment is Fulfilment.FBA]
    mfn = [o for o in orders if o.fulfilment is Fulfilment.MFN]
    assert fba and all(o.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED) for o in fba)
    assert all(o.buyer_name is None and o.ship_line1 is None for o in fba)
    assert any(o.buyer_name for o in mfn), "UK grants a Restricted Data Token: MFN orders carry buyer data"
    assert all(o.currency == "GBP" and (o.total is None or isinstance(o.total, Decimal)) for o in orders)
    unshipped = [o for o in mfn if o.status is OrderStatus.AWAITING_SHIPMENT]
    assert unshipped and all(o.ship_by is not None for o in unshipped)
    assert any(item.is_custom for o in orders for item in o.items), "Amazon Custom items are flagged"


def test_a_marketplace_without_buyer_data_still_imports(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox, "TR")
    result = sync.run_stream(session_factory(), plugins, integration_id, "orders")
    orders = session.scalars(select(Order)).all()
    assert result.counts["created"] == len(orders) > 0
    assert all(o.buyer_name is None and not o.buyer_data_available for o in orders)


def test_stock_and_price_changes_reach_the_sandbox_in_one_outbound_run(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox)
    sessions = session_factory()
    sync.run_stream(sessions, plugins, integration_id, "products")
    session.expire_all()
    mfn = session.scalars(
        select(Listing).where(Listing.fulfilment == Fulfilment.MFN).order_by(Listing.id)
    ).first()
    fba = session.scalars(select(Listing).where(Listing.fulfilment == Fulfilment.FBA)).first()
    assert mfn is not None and fba is not None
    catalog.set_stock(session, mfn.channel_sku, 37)
    catalog.set_price(session, mfn.channel_sku, Decimal("23.45"), integration_ids=[integration_id])
    catalog.set_stock(session, fba.channel_sku, 5)  # FBA stock is Amazon's: never pushed
    session.commit()
    fba_quantity = sandbox.state.listings[fba.channel_sku].quantity

    result = sync.run_stream(sessions, plugins, integration_id, "outbound")

    listing = sandbox.state.listings[mfn.channel_sku]
    committed = catalog.committed_units(session, [mfn.product_id]).get(mfn.product_id, 0)
    assert listing.quantity == 37 - committed
    assert listing.prices[UK.channel_id] == Decimal("23.45")
    assert sandbox.state.listings[fba.channel_sku].quantity == fba_quantity
    assert result.counts == {"quantity_done": 1, "price_done": 1}
    session.expire_all()
    assert {r.state for r in session.scalars(select(OutboxEntry))} == {OutboxState.DONE}


def test_a_shipment_is_confirmed_once_even_when_retried(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox)
    sync.run_stream(session_factory(), plugins, integration_id, "orders")
    order = session.scalars(
        select(Order).where(Order.status == OrderStatus.AWAITING_SHIPMENT, Order.fulfilment == Fulfilment.MFN)
    ).first()
    assert order is not None
    confirmation = ShipmentConfirmation(
        channel_order_id=order.channel_order_id,
        idempotency_key="ship-1",
        carrier_code="Royal Mail",
        ship_date=datetime.now(UTC),
        lines=tuple(ShipmentLine(i.channel_item_id, i.quantity) for i in order.items),
        tracking_number="RM123456789GB",
    )
    integration = integrations.get_integration(session, integration_id)
    connector = integrations.build_connector(integration, plugins)
    try:
        first = connector.confirm_shipments([confirmation])
        # the worker died after Amazon accepted: the retry says so and must not notify again
        retry = connector.confirm_shipments(
            [ShipmentConfirmation(**{**_fields(confirmation), "possibly_sent": True})]
        )
    finally:
        connector.close()
    assert first[0].ok and retry[0].ok and retry[0].already_confirmed
    assert [c.order_id for c in sandbox.state.confirmations] == [order.channel_order_id]


def _fields(confirmation: ShipmentConfirmation) -> dict[str, object]:
    return {name: getattr(confirmation, name) for name in confirmation.__slots__}  # type: ignore[attr-defined]


def test_refused_credentials_put_the_integration_in_error(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox)
    integration = integrations.get_integration(session, integration_id)
    c = sandbox.credentials  # the seller revoked the app: its refresh token no longer works
    integration.set_credentials(
        {"refresh_token": "Atzr|revoked-token", "client_id": c.client_id, "client_secret": c.client_secret}
    )
    session.commit()
    with pytest.raises(ChannelAuthError):
        sync.run_stream(session_factory(), plugins, integration_id, "orders")
    session.expire_all()
    refreshed = integrations.get_integration(session, integration_id)
    assert refreshed.status is IntegrationStatus.ERROR
    assert "invalid_grant" in (refreshed.status_reason or "")


def test_imported_orders_get_a_carrier_or_go_to_pending_review(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox)
    sync.run_stream(session_factory(), plugins, integration_id, "orders")
    unshipped = session.scalars(
        select(Order).where(
            Order.fulfilment == Fulfilment.MFN,
            Order.status.in_((OrderStatus.AWAITING_SHIPMENT, OrderStatus.PENDING_REVIEW)),
        )
    ).all()
    assert unshipped
    for order in unshipped:
        if order.status is OrderStatus.AWAITING_SHIPMENT:
            assert order.carrier_code, order.channel_order_id
        else:
            assert order.review_reason, order.channel_order_id
    assert any(o.carrier_code for o in unshipped)
