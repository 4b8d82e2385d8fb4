"""Stock and price changes in the hub, and the outbox rows that carry them to channels.

The hub is the truth for stock and listing prices. Every change is written together with
the outbox rows that will tell each channel, in the same transaction, so a crash can lose
neither the change nor the notice of it (the transactional outbox pattern). The outbound
stream later coalesces rows per SKU and sends them in bulk.

Quantities pushed are *available* stock: on hand minus units committed to unshipped orders
from every channel, never below zero, so two channels cannot sell the same unit. FBA listings
are never pushed: Amazon owns that stock.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from core.db import bulk
from core.db.base import utcnow
from core.db.members import member_of
from core.db.models import (
    Listing,
    Order,
    OrderItem,
    OrderStatus,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Product,
)
from core.db.session import dialect_insert
from core.dto import Fulfilment
from core.errors import InputError, NotFoundError

UNSHIPPED = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.AWAITING_SHIPMENT,
    OrderStatus.PENDING_REVIEW,
    OrderStatus.ON_HOLD,
)
"""Order statuses whose units are still committed (taken from stock, not yet shipped)."""

OUTBOX = cast(Table, OutboxEntry.__table__)
OUTBOX_COLUMNS = ("integration_id", "kind", "sku", "quantity", "state", "attempts", "created_at")


def get_product(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFoundError(f"no product with SKU {sku!r} (import products first, or check the SKU)")
    return product


def product_ids_for(session: Session, skus: set[str], titles: dict[str, str | None]) -> dict[str, int]:
    """Hub product ids by SKU, creating products first seen on an order (one per SKU)."""
    if not skus:
        return {}
    known = dict(session.execute(select(Product.sku, Product.id).where(member_of(Product.sku, skus))).all())
    missing = skus - known.keys()
    if missing:
        now = utcnow()
        session.execute(
            dialect_insert(session, Product).on_conflict_do_nothing(index_elements=["sku"]),
            [
                {
                    "sku": sku,
                    "title": titles.get(sku),
                    "stock_on_hand": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for sku in sorted(missing)
            ],
        )
        known.update(
            session.execute(select(Product.sku, Product.id).where(member_of(Product.sku, missing))).all()
        )
    return known


def committed_units(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    """Units of each product on unshipped MFN orders of every integration."""
    ids = list(product_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            member_of(OrderItem.product_id, ids),
            Order.status.in_(UNSHIPPED),
            Order.fulfilment == Fulfilment.MFN,
        )
        .group_by(OrderItem.product_id)
    )
    return {product_id: int(units) for product_id, units in rows if product_id is not None}


def available(on_hand: int, committed: int) -> int:
    """Units a channel may sell: on hand minus committed, never below zero."""
    return max(on_hand - committed, 0)


def enqueue_quantities(session: Session, product_ids: Iterable[int]) -> int:
    """Queue the current available quantity of each product for every MFN listing of it.

    Called after anything that moves available stock: a stock edit, an imported or cancelled
    order. Returns the number of outbox rows written.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    committed = committed_units(session, ids)
    on_hand = dict(
        session.execute(select(Product.id, Product.stock_on_hand).where(member_of(Product.id, ids))).all()
    )
    listings = session.execute(
        select(Listing.integration_id, Listing.channel_sku, Listing.product_id).where(
            member_of(Listing.product_id, ids), Listing.fulfilment == Fulfilment.MFN
        )
    )
    now = utcnow()
    rows = [
        (
            integration_id,
            OutboxKind.QUANTITY,
            sku,
            available(on_hand[product_id], committed.get(product_id, 0)),
            OutboxState.PENDING,
            0,
            now,
        )
        for integration_id, sku, product_id in listings
    ]
    # driver-level bulk insert: a price rule or an import can touch a whole catalogue at once
    bulk.insert_rows(session, OUTBOX, OUTBOX_COLUMNS, rows)
    return len(rows)


def ship_units(session: Session, order_id: int) -> None:
    """Units of an MFN order leave the warehouse: lower on-hand stock (never below zero).

    Called when an unshipped order becomes Shipped; they were committed until now, so the
    available quantity does not change. A Shipped order later cancelled does not restock.
    """
    units = session.execute(
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            OrderItem.order_id == order_id,
            Order.fulfilment == Fulfilment.MFN,
            OrderItem.product_id.is_not(None),
        )
        .group_by(OrderItem.product_id)
    ).all()
    for product_id, quantity in units:
        product = session.get(Product, product_id)
        if product is not None:
            product.stock_on_hand = max(product.stock_on_hand - int(quantity), 0)


def set_stock(session: Session, sku: str, quantity: int) -> Product:
    """Set the units on hand of a product and queue the new available quantity everywhere."""
    if quantity < 0:
        raise InputError("quantity", f"must be 0 or more, got {quantity}")
    product = get_product(session, sku)
    product.stock_on_hand = quantity
    session.flush()
    enqueue_quantities(session, [product.id])
    return product


def set_price(
    session: Session, sku: str, amount: Decimal, *, integration_ids: Iterable[int] | None = None
) -> list[OutboxEntry]:
    """Queue a listing price for a product on its integrations (all, or the ones given).

    The price is in each listing's own currency: channelhub never converts money.
    """
    if not amount.is_finite() or amount < 0:
        raise InputError("amount", f"must be a price of 0 or more, got {amount}")
    product = get_product(session, sku)
    query = select(Listing).where(Listing.product_id == product.id)
    if integration_ids is not None:
        query = query.where(member_of(Listing.integration_id, list(integration_ids)))
    rows = [enqueue_price(session, listing, amount) for listing in session.scalars(query)]
    if not rows:
        raise NotFoundError(f"product {sku!r} is not listed on any integration to price")
    return rows


def enqueue_price(session: Session, listing: Listing, amount: Decimal) -> OutboxEntry:
    """Queue one listing's new price (used by price rules as well as manual edits)."""
    currency = listing.currency or listing.product.currency
    if currency is None:
        raise InputError("currency", f"listing {listing.channel_sku!r} has no currency to price in")
    row = OutboxEntry(
        integration_id=listing.integration_id,
        kind=OutboxKind.PRICE,
        sku=listing.channel_sku,
        price=amount,
        currency=currency,
    )
    session.add(row)
    return row
