"""JSON-ready views of the hub's records, one per kind, shared by the CLI's ``--json`` and the
console's API so both use the same names (docs/cli.md). Credentials never appear: only which
ones are stored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import (
    ApiToken,
    Integration,
    Listing,
    NotifyState,
    Order,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Product,
    Shipment,
    StockSource,
    User,
    shipment_orders,
)
from core.dto import Fulfilment
from core.json_convention import timestamp
from core.services import catalog, quarantine


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def order_record(session: Session, order: Order) -> dict[str, Any]:
    """``orders show``'s view of one order (the console's order detail too)."""
    alias = session.scalar(select(Integration.alias).where(Integration.id == order.integration_id))
    shipments = session.scalars(
        select(Shipment)
        .join(shipment_orders, shipment_orders.c.shipment_id == Shipment.id)
        .where(shipment_orders.c.order_id == order.id)
        .order_by(Shipment.id)
    ).all()
    return {
        "id": order.id,
        "integration": alias,
        "integration_id": order.integration_id,
        "channel_order_id": order.channel_order_id,
        "status": order.status.value,
        "channel_status": order.channel_status,
        "fulfilment": order.fulfilment.value,
        "purchase_date": _iso(order.purchase_date),
        "ship_by": _iso(order.ship_by),
        "currency": order.currency,
        "total": _money(order.total),
        "shipping_total": _money(order.shipping_total),
        "buyer_name": order.buyer_name,
        "buyer_email": order.buyer_email,
        "buyer_phone": order.buyer_phone,
        "ship_to": {
            "name": order.ship_name,
            "line1": order.ship_line1,
            "line2": order.ship_line2,
            "line3": order.ship_line3,
            "city": order.ship_city,
            "state": order.ship_state,
            "postal_code": order.ship_postal_code,
            "country": order.ship_country,
            "phone": order.ship_phone,
        },
        "redacted_at": _iso(order.redacted_at),
        "carrier": order.carrier_code,
        "service": order.service_code,
        "review_reason": order.review_reason,
        "items": [
            {
                "sku": item.sku,
                "channel_sku": item.sku,
                "asin": item.asin,
                "title": item.title,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price),
                "currency": order.currency,
            }
            for item in order.items
        ],
        "shipments": [
            {
                "id": s.id,
                "carrier": s.carrier_code,
                "service": s.service_code,
                "tracking_number": s.tracking_number,
                "label_created_at": _iso(s.label_created_at),
                "shipped_at": _iso(s.shipped_at),
                "delivered_at": _iso(s.delivered_at),
                "notify_state": NotifyState(s.notify_state).value,
                "notified_at": _iso(s.notified_at),
                "notify_attempts": s.notify_attempts,
            }
            for s in shipments
        ],
    }


def stock_state(product: Product) -> str:
    """Where the on-hand figure comes from: unknown (never learned), channel (adopted) or hub."""
    if product.stock_on_hand is None:
        return "unknown"
    return product.stock_source or StockSource.HUB.value


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def product_record(session: Session, product: Product) -> dict[str, Any]:
    """``products show``'s view of one product (also ``products set --json`` and the console's detail)."""
    committed = catalog.committed_units(session, [product.id]).get(product.id, 0)
    listings = session.execute(
        select(Listing, Integration.alias)
        .join(Integration)
        .where(Listing.product_id == product.id)
        .order_by(Listing.id)
    ).all()
    rows = []
    for listing, alias in listings:
        entries = session.scalars(
            select(OutboxEntry)
            .where(
                OutboxEntry.integration_id == listing.integration_id, OutboxEntry.sku == listing.channel_sku
            )
            .order_by(OutboxEntry.id)
        ).all()
        sent = [
            e for e in entries if e.kind is OutboxKind.QUANTITY and e.state is OutboxState.DONE and e.sent_at
        ]
        queued = [e for e in entries if e.state in (OutboxState.PENDING, OutboxState.SENDING)]
        rows.append(
            {
                "integration": alias,
                "integration_id": listing.integration_id,
                "channel_sku": listing.channel_sku,
                "asin": listing.asin,
                "fulfilment": listing.fulfilment.value,
                "excluded": listing.excluded,
                "channel_quantity": listing.channel_quantity,
                "pushed_quantity": sent[-1].quantity if sent else None,
                "pushed_at": sent[-1].sent_at.isoformat() if sent and sent[-1].sent_at else None,
                "channel_price": _money(listing.channel_price),
                "currency": listing.currency,
                "queued": [
                    {
                        "kind": e.kind.value,
                        "value": _money(e.price) if e.kind is OutboxKind.PRICE else "available at push",
                        "currency": e.currency,
                        "state": e.state.value,
                        "queued_at": e.created_at.isoformat(),
                    }
                    for e in queued
                ],
            }
        )
    fba = sum(
        listing.channel_quantity or 0 for listing, _ in listings if listing.fulfilment is Fulfilment.FBA
    )
    return {
        "id": product.id,
        "sku": product.sku,
        "title": product.title,
        "ean": product.ean,
        "brand": product.brand,
        "category": product.category,
        "weight_kg": None if product.weight_kg is None else str(product.weight_kg),
        "cost": _money(product.cost),
        "rrp": _money(product.rrp),
        "currency": product.currency,
        "on_hand": product.stock_on_hand,
        "stock_source": stock_state(product),
        "committed": committed,
        "available": catalog.available(product.stock_on_hand, committed),
        "fba_quantity": fba,
        "listings": rows,
    }


def integration_record(integration: Integration) -> dict[str, object]:
    """What people and scripts see: never the credentials, only which ones are stored."""
    return {
        "id": integration.id,
        "alias": integration.alias,
        "channel": integration.channel_key,
        "marketplace": integration.marketplace,
        "status": integration.status.value,
        "reason": integration.status_reason,
        "disabled_at": integration.disabled_at,
        "removed_at": integration.removed_at,
        "settings": integration.settings,
        "credentials": sorted(integration.credentials()),
    }


def attention(session: Session) -> dict[int, tuple[int, int]]:
    """Per integration id: open quarantine entries and failed channel notifications."""
    errors = quarantine.open_counts(session)
    failed = dict(
        session.execute(
            select(Order.integration_id, func.count(func.distinct(Shipment.id)))
            .join(shipment_orders, shipment_orders.c.order_id == Order.id)
            .join(Shipment, Shipment.id == shipment_orders.c.shipment_id)
            .where(Shipment.notify_state == NotifyState.FAILED)
            .group_by(Order.integration_id)
        ).all()
    )
    return {iid: (errors.get(iid, 0), failed.get(iid, 0)) for iid in {*errors, *failed}}


def with_counts(info: dict[str, object], counts: dict[int, tuple[int, int]]) -> dict[str, object]:
    integration_id = info["id"]
    assert isinstance(integration_id, int)
    errors, failed = counts.get(integration_id, (0, 0))
    return {**info, "errors": errors, "failed_notifications": failed}


def user_record(user: User) -> dict[str, Any]:
    """A console user as ``users list`` and ``GET /api/v1/me`` show it (never the password hash)."""
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role.value,
        "created_at": timestamp(user.created_at),
        "last_login_at": timestamp(user.last_login_at),
    }


def token_record(token: ApiToken, user_name: str) -> dict[str, Any]:
    """A token as people see it later: its name and first characters, never the token."""
    return {
        "id": token.id,
        "name": token.name,
        "user": user_name,
        "prefix": token.prefix,
        "created_at": timestamp(token.created_at),
        "last_used_at": timestamp(token.last_used_at),
        "revoked_at": timestamp(token.revoked_at),
    }
