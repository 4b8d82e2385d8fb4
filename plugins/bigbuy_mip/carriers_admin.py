"""Pending review as this plugin's catalogue explains it, and choosing a carrier by hand.

The switches per area are core's (``core.services.carriers``); this module reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import Destination, InputError, Integration, Order, OrderStatus, disabled_pairs, member_of
from plugins.bigbuy_mip.catalogue import Catalogue

CLOSED = (OrderStatus.SHIPPED, OrderStatus.CANCELLED)


def order_area(catalogue: Catalogue, order: Order) -> str | None:
    if not order.ship_country:
        return None
    destination = Destination(order.ship_country.upper(), order.ship_postal_code, order.ship_state)
    area = catalogue.area_for(destination)
    return area.code if area else None


@dataclass(frozen=True, slots=True)
class PendingOrder:
    id: int
    channel_order_id: str
    integration: str
    integration_id: int
    destination: str
    area: str | None
    reason: str | None
    available: list[dict[str, object]]
    """Carriers serving the area: code, name, and whether enabled for the integration."""


def pending_orders(
    session: Session, catalogue: Catalogue, integration_ids: list[int] | None = None
) -> list[PendingOrder]:
    query = (
        select(Order, Integration.alias)
        .join(Integration, Integration.id == Order.integration_id)
        .where(Order.status == OrderStatus.PENDING_REVIEW)
        .order_by(Order.ship_by, Order.id)
    )
    if integration_ids is not None:
        query = query.where(member_of(Order.integration_id, integration_ids))
    result = []
    disabled: dict[int, set[tuple[str, str]]] = {}
    for order, alias in session.execute(query):
        area = order_area(catalogue, order)
        off = disabled.setdefault(order.integration_id, disabled_pairs(session, order.integration_id))
        available: list[dict[str, object]] = [
            {"code": c, "name": catalogue.carriers[c].name, "enabled": (area, c) not in off}
            for c in (catalogue.carriers_serving(area) if area else [])
        ]
        where = " ".join(p for p in (order.ship_country, order.ship_postal_code) if p) or "(no address)"
        result.append(
            PendingOrder(
                order.id,
                order.channel_order_id,
                alias,
                order.integration_id,
                where,
                area,
                order.review_reason,
                available,
            )
        )
    return result


def assign_carrier(
    session: Session,
    catalogue: Catalogue,
    order: Order,
    carrier_code: str,
    *,
    service_code: str | None = None,
    force: bool = False,
) -> str:
    """A person chooses the carrier: the order leaves Pending review and continues to fulfilment.

    A carrier that does not serve the order's area is refused unless ``force``; a carrier the host
    disabled but that serves the area is accepted (choosing it by hand is the point).
    """
    carrier = catalogue.carrier(carrier_code)
    if order.status in CLOSED:
        raise InputError(
            "order", f"order {order.channel_order_id} is {order.status.value}; it needs no carrier"
        )
    services = [s.code for s in carrier.services]
    area = order_area(catalogue, order)
    serving_services = [b.service for b in (catalogue.bands(area, carrier_code) if area else [])]
    if not serving_services and not force:
        raise InputError(
            "carrier",
            f"{carrier_code} does not serve {area or 'the order destination'}; choose another or use --force",
        )
    service = service_code or (serving_services[0] if serving_services else services[0])
    if service not in services:
        raise InputError("service", f"{carrier_code} has no service {service!r} (has: {', '.join(services)})")
    order.carrier_code = carrier_code
    order.service_code = service
    order.review_reason = None
    if order.status == OrderStatus.PENDING_REVIEW:
        order.status = OrderStatus.AWAITING_SHIPMENT
    session.flush()
    return service
