"""Fixtures: an integration, products, listings and orders made directly through core models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from core.db.models import Integration, Listing, Order, OrderItem, OrderStatus, Product
from core.dto import Fulfilment
from core.plugins import PluginManager
from tests.fakes.channel import FakeChannelPlugin


@pytest.fixture
def plugins_with_fake(plugins: PluginManager) -> PluginManager:
    plugins.register(FakeChannelPlugin(), "fake")
    return plugins


@pytest.fixture
def integration(session: Session) -> Integration:
    row = Integration(channel_key="fake", marketplace="XX", alias="shop-es", settings={})
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def make_order(session: Session, integration: Integration) -> Callable[..., Order]:
    counter = iter(range(1, 10_000))

    def make(
        country: str | None = "ES",
        postcode: str | None = "28001",
        weight: str | None = "1.0",
        quantity: int = 1,
        status: OrderStatus = OrderStatus.AWAITING_SHIPMENT,
        fulfilment: Fulfilment = Fulfilment.MFN,
    ) -> Order:
        n = next(counter)
        product = Product(sku=f"P-{n}", weight_kg=Decimal(weight) if weight else None, currency="EUR")
        order = Order(
            integration_id=integration.id,
            channel_order_id=f"ORD-{n}",
            status=status,
            fulfilment=fulfilment,
            purchase_date=datetime(2026, 1, 1, tzinfo=UTC),
            currency="EUR",
            ship_country=country,
            ship_postal_code=postcode,
        )
        session.add_all([product, order])
        session.flush()
        order.items.append(
            OrderItem(
                product_id=product.id,
                channel_item_id="1",
                sku=product.sku,
                quantity=quantity,
                unit_price=Decimal("10"),
            )
        )
        session.commit()
        return order

    return make


@pytest.fixture
def make_listing(session: Session, integration: Integration) -> Callable[..., Listing]:
    def make(
        sku: str,
        rrp: str | None,
        cost: str | None,
        *,
        category: str | None = None,
        brand: str | None = None,
        price: str | None = None,
        stock: int | None = 5,
    ) -> Listing:
        product = Product(
            sku=sku,
            rrp=Decimal(rrp) if rrp else None,
            cost=Decimal(cost) if cost else None,
            currency="EUR",
            category=category,
            brand=brand,
            stock_on_hand=stock,
        )
        session.add(product)
        session.flush()
        listing = Listing(
            product_id=product.id,
            integration_id=integration.id,
            channel_sku=sku,
            currency="EUR",
            channel_price=Decimal(price) if price else None,
        )
        session.add(listing)
        session.commit()
        return listing

    return make
