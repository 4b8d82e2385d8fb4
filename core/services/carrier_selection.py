"""Give each unshipped MFN order a carrier, or send it to Pending review with the reason.

Channel- and plugin-agnostic: carriers quote through ``PluginManager.quote_rates`` and one of
them is chosen through ``PluginManager.select_carrier``. Quotes for a carrier the host disabled
in the order's area (core's ``carrier_settings``; no row means enabled) are dropped before the
choice, and are named in the review reason as the carriers that could serve if enabled.

The sync engine calls :func:`select_carriers` after each order import. It is idempotent: an
order that already has a carrier, is shipped, cancelled, on hold or awaiting payment is left
alone, so calling it twice changes nothing. An order in Pending review is tried again (that is
how re-enabling a carrier releases it). Orders are loaded in chunks with their items and
product weights in a few queries, so thousands of orders cost a few queries per chunk plus one
quote/select call each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.db.models import CarrierSetting, Order, OrderStatus, Product
from core.dto import Destination, Fulfilment, Money, RateQuote, RateRequest
from core.plugins import PluginManager

DEFAULT_ITEM_WEIGHT_KG = Decimal("1.0")
"""Weight assumed for one unit of a product whose weight is unknown (or not in the hub).

One kilo errs on the heavy side for typical marketplace parcels, so an unknown weight picks a
band that covers it rather than an under-priced one.
"""

SELECTABLE = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PENDING_REVIEW)
CHUNK = 500


@dataclass(slots=True)
class SelectionSummary:
    """What one run did: order ids assigned a carrier, sent to review (with reasons), skipped."""

    assigned: dict[int, str] = field(default_factory=dict)
    pending: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)


def _address_problem(order: Order) -> str | None:
    country = (order.ship_country or "").strip()
    if not country:
        return "invalid address: no destination country on the order"
    if len(country) != 2 or not country.isalpha():
        return f"invalid address: destination country {country!r} is not an ISO country code"
    return None


def _weight(order: Order, weights: dict[int, Decimal | None], by_sku: dict[str, Decimal | None]) -> Decimal:
    total = Decimal(0)
    for item in order.items:
        unit = weights.get(item.product_id) if item.product_id is not None else by_sku.get(item.sku)
        total += item.quantity * (unit if unit is not None else DEFAULT_ITEM_WEIGHT_KG)
    return total


def _product_weights(
    session: Session, orders: Sequence[Order]
) -> tuple[dict[int, Decimal | None], dict[str, Decimal | None]]:
    ids = {i.product_id for o in orders for i in o.items if i.product_id is not None}
    skus = {i.sku for o in orders for i in o.items if i.product_id is None}
    by_id: dict[int, Decimal | None] = {}
    by_sku: dict[str, Decimal | None] = {}
    if ids:
        id_rows = session.execute(select(Product.id, Product.weight_kg).where(Product.id.in_(ids)))
        by_id = {product_id: weight for product_id, weight in id_rows}
    if skus:
        sku_rows = session.execute(select(Product.sku, Product.weight_kg).where(Product.sku.in_(skus)))
        by_sku = {sku: weight for sku, weight in sku_rows}
    return by_id, by_sku


def _disabled(session: Session, integration_ids: set[int]) -> set[tuple[int, str, str]]:
    rows = session.execute(
        select(CarrierSetting.integration_id, CarrierSetting.area_code, CarrierSetting.carrier_code).where(
            CarrierSetting.integration_id.in_(integration_ids), CarrierSetting.enabled.is_(False)
        )
    )
    return {(i, a, c) for i, a, c in rows}


def _describe(request: RateRequest) -> str:
    d = request.destination
    where = " ".join(p for p in (d.country_code, d.postal_code) if p)
    return f"{where}, {request.weight_kg.quantize(Decimal('0.01'))} kg"


def _pending(order: Order, reason: str, summary: SelectionSummary) -> None:
    order.status = OrderStatus.PENDING_REVIEW
    order.review_reason = reason
    order.carrier_code = None
    order.service_code = None
    summary.pending[order.id] = reason


def _decide(
    plugins: PluginManager,
    order: Order,
    request: RateRequest,
    disabled: set[tuple[int, str, str]],
    summary: SelectionSummary,
) -> None:
    quotes = plugins.quote_rates(request)
    candidates: list[RateQuote] = []
    held_back: list[RateQuote] = []
    for quote in quotes:
        off = (order.integration_id, quote.area_code, quote.carrier_code) in disabled
        (held_back if off else candidates).append(quote)
    decision = plugins.select_carrier(request, candidates) if candidates else None
    if decision is not None:
        order.carrier_code = decision.carrier_code
        order.service_code = decision.service_code
        order.review_reason = None
        if order.status == OrderStatus.PENDING_REVIEW:
            order.status = OrderStatus.AWAITING_SHIPMENT
        summary.assigned[order.id] = decision.carrier_code
        return
    if held_back:
        names = sorted({f"{q.carrier_code} ({q.area_code})" for q in held_back})
        reason = f"no enabled carrier serves {_describe(request)}; could serve if enabled: {', '.join(names)}"
    elif candidates:
        reason = f"no carrier was chosen among {', '.join(sorted({q.carrier_code for q in candidates}))}"
    else:
        reason = f"no carrier serves {_describe(request)}"
    _pending(order, reason, summary)


def select_carriers(session: Session, plugins: PluginManager, order_ids: Iterable[int]) -> SelectionSummary:
    """Assign carriers to the given orders (those that need one); flushes, does not commit."""
    summary = SelectionSummary()
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        orders = list(
            session.scalars(select(Order).where(Order.id.in_(chunk)).options(selectinload(Order.items)))
        )
        eligible = [
            o
            for o in orders
            if o.fulfilment == Fulfilment.MFN and o.status in SELECTABLE and o.carrier_code is None
        ]
        summary.skipped.extend(o.id for o in orders if o not in eligible)
        if not eligible:
            continue
        weights, by_sku = _product_weights(session, eligible)
        disabled = _disabled(session, {o.integration_id for o in eligible})
        for order in eligible:
            problem = _address_problem(order)
            if problem is not None:
                _pending(order, problem, summary)
                continue
            request = RateRequest(
                order_id=order.id,
                integration_id=order.integration_id,
                destination=Destination(
                    country_code=(order.ship_country or "").upper(),
                    postal_code=order.ship_postal_code,
                    state=order.ship_state,
                ),
                weight_kg=_weight(order, weights, by_sku),
                order_total=Money(order.total, order.currency) if order.total is not None else None,
                ship_by=order.ship_by,
            )
            _decide(plugins, order, request, disabled, summary)
    session.flush()
    return summary
