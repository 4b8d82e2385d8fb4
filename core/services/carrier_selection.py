"""Give each unshipped MFN order a carrier, or send it to Pending review with the reason.

Channel- and plugin-agnostic: carriers quote through ``PluginManager.quote_rates`` and one of
them is chosen through ``PluginManager.select_carrier``. Quotes for a carrier the host disabled
in the order's area (core's ``carrier_settings``; no row means enabled) are dropped before the
choice, and are named in the review reason as the carriers that could serve if enabled.

The sync engine calls :func:`choose_for_import` inside each import batch, with the orders as
the import is about to write them (no read-back: one query for the products' weights), so an
order is committed with its decision; commands and the sweep call :func:`select_carriers`
with order ids. Both are idempotent: an order that already has a carrier, is shipped,
cancelled, on hold or awaiting payment is left alone (the write checks again, so an order
someone changed meanwhile is not overwritten), and calling them twice changes nothing. An
order in Pending review is tried again (that is how re-enabling a carrier releases it). The
queries do not depend on the number of orders: orders, items and weights come in one read,
per-integration options once per call (in a :class:`core.dto.CarrierContext` handed to the
hooks, which never query), and the decisions go out in one write; each order
costs one quote/select hook call, in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import String, Table, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.db import bulk
from core.db.members import member_of
from core.db.models import CarrierSetting, Order, OrderItem, OrderStatus, Product
from core.dto import CarrierContext, CarrierDecision, Destination, Fulfilment, Money, RateQuote, RateRequest
from core.logs import describe_error, get_logger
from core.plugins import PluginManager
from core.services.order_import import NewOrder

DEFAULT_ITEM_WEIGHT_KG = Decimal("1.0")
"""Weight assumed for one unit of a product whose weight is unknown (or not in the hub).

One kilo errs on the heavy side for typical marketplace parcels, so an unknown weight picks a
band that covers it rather than an under-priced one.
"""

SELECTABLE = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PENDING_REVIEW)
ORDERS = cast(Table, Order.__table__)
CODE_LENGTH = cast(String, ORDERS.c.carrier_code.type).length or 64
"""The longest carrier or service code an order stores."""
log = get_logger(__name__)
CHUNK = 5_000
"""Orders decided per round of queries: one import batch (3,500, the orders stream's ``ORDER_BATCH``)
fits in a single round."""


@dataclass(slots=True)
class SelectionSummary:
    """What one run did: order ids assigned a carrier, sent to review (with reasons), skipped."""

    assigned: dict[int, str] = field(default_factory=dict)
    pending: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Candidate:
    """One order needing a carrier, with its total weight: what the hooks are asked about."""

    id: int
    integration_id: int
    country: str
    postal_code: str | None
    state: str | None
    total: Money | None
    ship_by: datetime | None
    weight_kg: Decimal = Decimal(0)


def _address_problem(country: str) -> str | None:
    country = country.strip()
    if not country:
        return "invalid address: no destination country on the order"
    if len(country) != 2 or not country.isalpha():
        return f"invalid address: destination country {country!r} is not an ISO country code"
    return None


def _candidates(session: Session, ids: list[int]) -> dict[int, _Candidate]:
    """Orders among ``ids`` that need a carrier, weighed, in ONE query (orders, items, weights).

    A unit's weight is its product's (by id, or by SKU for an item not linked to a product),
    else :data:`DEFAULT_ITEM_WEIGHT_KG`.
    """
    by_id, by_sku = aliased(Product), aliased(Product)
    rows = session.execute(
        select(
            Order.id,
            Order.integration_id,
            Order.ship_country,
            Order.ship_postal_code,
            Order.ship_state,
            Order.total,
            Order.currency,
            Order.ship_by,
            OrderItem.quantity,
            func.coalesce(by_id.weight_kg, by_sku.weight_kg),
        )
        .join(OrderItem, OrderItem.order_id == Order.id, isouter=True)
        .join(by_id, by_id.id == OrderItem.product_id, isouter=True)
        .join(by_sku, and_(OrderItem.product_id.is_(None), by_sku.sku == OrderItem.sku), isouter=True)
        .where(
            member_of(Order.id, ids),
            Order.fulfilment == Fulfilment.MFN,
            Order.status.in_(SELECTABLE),
            Order.carrier_code.is_(None),
        )
    )
    found: dict[int, _Candidate] = {}
    for oid, integration_id, country, postal, state, total, currency, ship_by, quantity, weight in rows:
        order = found.get(oid)
        if order is None:
            money = Money(total, currency) if total is not None else None
            order = found[oid] = _Candidate(oid, integration_id, country or "", postal, state, money, ship_by)
        if quantity is not None:
            order.weight_kg += quantity * (weight if weight is not None else DEFAULT_ITEM_WEIGHT_KG)
    return found


def _weighed_new(session: Session, orders: Sequence[NewOrder]) -> dict[int, _Candidate]:
    """The just-imported orders that need a carrier, weighed with ONE query (their products' weights)."""
    selectable = [
        o for o in orders if o.row["status"] in SELECTABLE and o.row["fulfilment"] is Fulfilment.MFN
    ]
    product_ids = {pid for o in selectable for pid, _ in o.lines if pid is not None}
    weights: dict[int, Decimal] = {}
    if product_ids:
        query = select(Product.id, Product.weight_kg).where(member_of(Product.id, product_ids))
        weights = {pid: weight for pid, weight in session.execute(query) if weight is not None}
    found: dict[int, _Candidate] = {}
    for new in selectable:
        row = new.row
        total = Money(row["total"], row["currency"]) if row["total"] is not None else None
        order = _Candidate(
            new.id,
            row["integration_id"],
            row["ship_country"] or "",
            row["ship_postal_code"],
            row["ship_state"],
            total,
            row["ship_by"],
        )
        for product_id, quantity in new.lines:
            weight = weights.get(product_id) if product_id is not None else None
            order.weight_kg += quantity * (DEFAULT_ITEM_WEIGHT_KG if weight is None else weight)
        found[new.id] = order
    return found


def load_context(session: Session, plugins: PluginManager, integration_ids: set[int]) -> CarrierContext:
    """Everything the carrier hooks need for these integrations: one query, plus one per plugin."""
    ids = sorted(integration_ids)
    rows = session.execute(
        select(CarrierSetting.integration_id, CarrierSetting.area_code, CarrierSetting.carrier_code).where(
            member_of(CarrierSetting.integration_id, ids), CarrierSetting.enabled.is_(False)
        )
    )
    disabled = frozenset((i, a, c) for i, a, c in rows)
    return CarrierContext(disabled=disabled, options=plugins.carrier_options(session, ids))


def _describe(request: RateRequest) -> str:
    d = request.destination
    where = " ".join(p for p in (d.country_code, d.postal_code) if p)
    return f"{where}, {request.weight_kg.quantize(Decimal('0.01'))} kg"


def _decide(plugins: PluginManager, request: RateRequest, context: CarrierContext) -> CarrierDecision | str:
    """The chosen carrier, or the reason the order goes to Pending review."""
    candidates: list[RateQuote] = []
    held_back: list[RateQuote] = []
    for quote in plugins.quote_rates(request, context):
        enabled = context.enabled(request.integration_id, quote.area_code, quote.carrier_code)
        (candidates if enabled else held_back).append(quote)
    decision = plugins.select_carrier(request, candidates, context) if candidates else None
    if decision is not None:
        codes = {"carrier_code": decision.carrier_code, "service_code": decision.service_code or ""}
        too_long = [name for name, code in codes.items() if len(code) > CODE_LENGTH]
        if too_long:  # a plugin bug; the order waits for a person instead of failing its batch
            return f"the chosen carrier's {' and '.join(too_long)} is longer than {CODE_LENGTH} characters"
        return decision
    if held_back:
        names = sorted({f"{q.carrier_code} ({q.area_code})" for q in held_back})
        return f"no enabled carrier serves {_describe(request)}; could serve if enabled: {', '.join(names)}"
    if candidates:
        return f"no carrier was chosen among {', '.join(sorted({q.carrier_code for q in candidates}))}"
    return f"no carrier serves {_describe(request)}"


def _write(session: Session, summary: SelectionSummary, decisions: dict[int, CarrierDecision | str]) -> None:
    """All decisions of a round in one statement, each order its :func:`_columns`."""
    still_open = [  # what made the order a candidate: someone may have changed it since
        ORDERS.c.fulfilment == Fulfilment.MFN,
        or_(*(ORDERS.c.status == status for status in SELECTABLE)),  # not IN: it runs as an executemany too
        ORDERS.c.carrier_code.is_(None),
    ]
    changes = {oid: _columns(decision) for oid, decision in decisions.items()}
    bulk.update_each(session, ORDERS, "id", changes, where=still_open)
    for oid, decision in decisions.items():
        if isinstance(decision, CarrierDecision):
            summary.assigned[oid] = decision.carrier_code
        else:
            summary.pending[oid] = decision


def _expire_loaded(session: Session, ids: set[int]) -> None:
    """Orders of these ids already loaded in the session re-read the written columns."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Order) and obj.id in ids:
            session.expire(obj)


def select_carriers(session: Session, plugins: PluginManager, order_ids: Iterable[int]) -> SelectionSummary:
    """Assign carriers to the given orders (those that need one); writes, does not commit.

    A constant number of queries per round of :data:`CHUNK` orders: one read of the orders
    with items and weights, one of the disabled carriers, one per plugin for its options
    (``channelhub_carrier_options``), and one write.
    """
    summary = SelectionSummary()
    ids = sorted(set(order_ids))
    if not ids:
        return summary
    session.flush()
    context: CarrierContext | None = None
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        orders = _candidates(session, chunk)
        summary.skipped.extend(i for i in chunk if i not in orders)
        context = _decide_all(session, plugins, orders, summary, context)
    return summary


def choose_for_import(
    session: Session, orders: list[NewOrder], *, plugins: PluginManager
) -> dict[int, dict[str, Any]]:
    """The import's carrier decisions for orders it is writing: per order id, the columns to set.

    Never raises: a failing carrier plugin must not cost the batch its orders. The choice runs
    in a savepoint; if anything in it fails, the orders are written without a carrier and
    the sweep after the stream (:mod:`core.services.carrier_sweep`) tries again, reporting
    the error as the stream's.
    """
    try:
        with session.begin_nested():
            candidates = _weighed_new(session, orders)
            if not candidates:
                return {}
            context = load_context(session, plugins, {o.integration_id for o in candidates.values()})
            return {
                oid: _columns(decision) for oid, decision in _decisions(plugins, candidates, context).items()
            }
    except Exception as exc:
        log.error(
            "carrier selection failed; the orders are imported without a carrier, the sweep tries again",
            orders=len(orders),
            error=describe_error(exc),
        )
        return {}


def _columns(decision: CarrierDecision | str) -> dict[str, Any]:
    """An order's columns for a decision: a carrier, or Pending review with the reason."""
    if isinstance(decision, CarrierDecision):
        return {
            "status": OrderStatus.AWAITING_SHIPMENT,
            "carrier_code": decision.carrier_code,
            "service_code": decision.service_code,
            "review_reason": None,
        }
    return {
        "status": OrderStatus.PENDING_REVIEW,
        "carrier_code": None,
        "service_code": None,
        "review_reason": decision,
    }


def _decisions(
    plugins: PluginManager, orders: Mapping[int, _Candidate], context: CarrierContext
) -> dict[int, CarrierDecision | str]:
    """Each order's carrier or review reason: one quote/select hook call each, in memory."""
    decisions: dict[int, CarrierDecision | str] = {}
    for order in orders.values():
        problem = _address_problem(order.country)
        if problem is not None:
            decisions[order.id] = problem
            continue
        request = RateRequest(
            order_id=order.id,
            integration_id=order.integration_id,
            destination=Destination(order.country.upper(), order.postal_code, order.state),
            weight_kg=order.weight_kg,
            order_total=order.total,
            ship_by=order.ship_by,
        )
        decisions[order.id] = _decide(plugins, request, context)
    return decisions


def _decide_all(
    session: Session,
    plugins: PluginManager,
    orders: Mapping[int, _Candidate],
    summary: SelectionSummary,
    context: CarrierContext | None,
) -> CarrierContext | None:
    """Decide and write these orders' carriers; returns the context, reusable for the next round."""
    if not orders:
        return context
    integration_ids = {o.integration_id for o in orders.values()}
    if context is None or not integration_ids <= context.options.keys():
        context = load_context(session, plugins, integration_ids)
    decisions = _decisions(plugins, orders, context)
    _write(session, summary, decisions)
    _expire_loaded(session, set(decisions))
    return context
