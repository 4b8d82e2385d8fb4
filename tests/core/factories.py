"""Small builders for core rows, so tests state only what they are about."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.db.models import Integration, Listing, Order, OrderItem, OrderStatus, Product
from core.dto import Fulfilment


def integration(session: Session, alias: str = "fake-uk", **fields: object) -> Integration:
    row = Integration(channel_key="fake", marketplace="XX", alias=alias, settings={}, **fields)
    row.set_credentials({"api_key": "good-key-123"})
    session.add(row)
    session.flush()
    return row


def product(session: Session, sku: str = "SKU-1", stock: int | None = 10, **fields: object) -> Product:
    row = Product(sku=sku, stock_on_hand=stock, currency="GBP", **fields)
    session.add(row)
    session.flush()
    return row


def listing(
    session: Session, of: Product, on: Integration, fulfilment: Fulfilment = Fulfilment.MFN
) -> Listing:
    row = Listing(product=of, integration_id=on.id, channel_sku=of.sku, fulfilment=fulfilment, currency="GBP")
    session.add(row)
    session.flush()
    return row


def order(
    session: Session,
    on: Integration,
    channel_order_id: str = "111-0000001-0000001",
    *,
    status: OrderStatus = OrderStatus.AWAITING_SHIPMENT,
    items: tuple[tuple[Product, int], ...] = (),
    fulfilment: Fulfilment = Fulfilment.MFN,
) -> Order:
    row = Order(
        integration_id=on.id,
        channel_order_id=channel_order_id,
        status=status,
        fulfilment=fulfilment,
        purchase_date=datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
        currency="GBP",
        total=Decimal("0"),
        items=[
            OrderItem(
                channel_item_id=f"{channel_order_id}-{n}",
                product_id=p.id,
                sku=p.sku,
                quantity=qty,
                unit_price=Decimal("9.99"),
            )
            for n, (p, qty) in enumerate(items)
        ],
    )
    session.add(row)
    session.flush()
    return row
