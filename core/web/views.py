"""Records the console shows and the API returns, named as the CLI's ``--json`` names them.

Lists are pages: ``limit`` rows from ``offset``, with ``next_offset`` (None on the last page),
read with LIMIT/OFFSET over indexed orderings so a page costs the same with a million rows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import TO_SHIP_STATUSES, Integration, Order, OrderStatus, SyncCursor
from core.dto import Fulfilment
from core.errors import InputError
from core.json_convention import integration_ref, money, number, timestamp
from core.plugins import PluginManager
from core.services import (
    carriers,
    catalog,
    catalogue_import,
    fees,
    fulfilment,
    integrations,
    orders,
    pricing,
    product_search,
    quarantine,
    records,
)
from core.settings import get_settings

MAX_LIMIT = 500


def check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise InputError("offset", "must be 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError("limit", f"must be 1 to {MAX_LIMIT}")


def page_of(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    """``items`` holds up to ``limit + 1`` rows: the extra one only says another page exists."""
    return {
        "items": items[:limit],
        "offset": offset,
        "limit": limit,
        "next_offset": offset + limit if len(items) > limit else None,
    }


def _paged(session: Session, query: Any, offset: int, limit: int) -> list[Any]:
    """Rows ``offset`` .. ``offset + limit`` of a SELECT (any shape), plus one to tell a next page."""
    check_page(offset, limit)
    return list(session.execute(query.offset(offset).limit(limit + 1)))


# ---------------------------------------------------------------------- integrations
def _streams(session: Session, integration_id: int) -> list[dict[str, Any]]:
    return [
        {
            "stream": c.stream,
            "cursor": c.cursor,
            "last_success_at": timestamp(c.last_success_at),
            "next_run_at": timestamp(c.next_run_at),
            "locked_by": c.locked_by,
            "locked_until_at": timestamp(c.locked_until),
            "failures": c.consecutive_failures,
            "last_error": c.last_error,
        }
        for c in session.scalars(
            select(SyncCursor).where(SyncCursor.integration_id == integration_id).order_by(SyncCursor.stream)
        )
    ]


def integration_records(session: Session) -> list[dict[str, Any]]:
    """``integrations list --json``'s records, each with its streams (``integrations show``)."""
    counts = records.attention(session)
    return [
        {
            **records.with_counts(records.integration_record(i), counts),
            "streams": _streams(session, i.id),
        }
        for i in session.scalars(select(Integration).order_by(Integration.alias))
    ]


def integration_record(session: Session, name: str) -> dict[str, Any]:
    integration = integrations.find(session, name)
    info = records.with_counts(records.integration_record(integration), records.attention(session))
    return {**info, "streams": _streams(session, integration.id)}


# ---------------------------------------------------------------------- carriers
def carrier_matrix(session: Session, plugins: PluginManager) -> list[dict[str, Any]]:
    """``carriers list --json``'s rows, each with how many carriers of its area are still on."""
    if not integrations.aliases(session):
        return []
    rows = [asdict(r) for r in carriers.matrix(session, plugins)]
    on: dict[tuple[int, str], int] = {}
    for r in rows:
        on[(r["integration_id"], r["area"])] = on.get((r["integration_id"], r["area"]), 0) + int(r["enabled"])
    return [{**r, "enabled_in_area": on[(r["integration_id"], r["area"])]} for r in rows]


def switch_impact(
    session: Session, plugins: PluginManager, integration_id: int, area: str, carrier: str
) -> carriers.Switched:
    """What switching ``carrier`` off in ``area`` would do, found by doing it and rolling back."""
    nested = session.begin_nested()
    try:
        return carriers.set_enabled(
            session, plugins, carrier, area, enabled=False, integration_ids=[integration_id]
        )
    finally:
        nested.rollback()


def fee_record(
    session: Session, plugins: PluginManager, integration_id: int, strategy: str = "conservative"
) -> dict[str, Any]:
    """``fees show --json``'s record (each band also with its min and max), and the strategies."""
    table = fees.fee_table(session, plugins, integration_id, strategy)
    return {
        **integration_ref(table.integration_id, table.integration),
        "strategy": table.strategy,
        "fees": [
            {
                "area": f.area,
                "carrier": f.carrier,
                "service": f.service,
                "band": f.band,
                "basis": f.basis,
                "max_kg": None if f.max_kg is None else float(f.max_kg),
                "price": money(f.price),
                "min_price": money(f.min_price),
                "max_price": money(f.max_price),
                "currency": f.currency,
                "transit_days": f.transit_days,
            }
            for f in table.fees
        ],
        "strategies": [asdict(s) for s in table.strategies],
        "note": table.note,
    }


# ---------------------------------------------------------------------- orders
ORDER_FILTERS = ("status", "integration_id", "pending_review", "late_risk")


def order_page(
    session: Session,
    *,
    status: OrderStatus | None = None,
    integration_id: int | None = None,
    pending_review: bool = False,
    late_risk: bool = False,
    include_closed: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """``orders list --json``'s records: open orders (``include_closed``: all), soonest ship-by first.

    The order is ``ix_orders_ship_by_id``'s, so a page reads its rows from the index instead of
    sorting every order.
    """
    query = (
        select(Order, Integration.alias)
        .join(Integration)
        .order_by(Order.ship_by.asc().nulls_last(), Order.id)
    )
    if pending_review:
        status = OrderStatus.PENDING_REVIEW
    if status is not None:
        query = query.where(Order.status == status)
    elif not include_closed:
        query = query.where(Order.status.not_in(orders.CLOSED))
    if integration_id is not None:
        query = query.where(Order.integration_id == integration_id)
    if late_risk:  # the CLI's ship queue's rule (orders.is_late_risk): paid and not shipped yet
        query = query.where(
            Order.status.in_(TO_SHIP_STATUSES), Order.ship_by <= datetime.now(UTC) + orders.LATE_RISK_WITHIN
        )
    rows = [
        {
            "id": o.id,
            **integration_ref(o.integration_id, alias),
            "channel_order_id": o.channel_order_id,
            "status": o.status.value,
            "fulfilment": o.fulfilment.value,
            "ship_by": timestamp(o.ship_by),
            "total": money(o.total),
            "currency": o.currency,
            "carrier": o.carrier_code,
            "review_reason": o.review_reason,
        }
        for o, alias in _paged(session, query, offset, limit)
    ]
    return page_of(rows, offset, limit)


def _fix_times(value: Any) -> Any:
    """The CLI's order builder writes ``isoformat()``; make every timestamp whole seconds + offset."""
    if isinstance(value, dict):
        return {k: _fix_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix_times(v) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return timestamp(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def order_record(session: Session, plugins: PluginManager, order_id: int) -> dict[str, Any]:
    """``orders show --json``, with the carriers a person may choose for it."""
    data: dict[str, Any] = _fix_times(records.order_record(session, orders.get_order(session, order_id)))
    data["carrier_choices"] = [asdict(c) for c in orders.carrier_choices(session, plugins, order_id)]
    return data


def ship(
    session: Session,
    plugins: PluginManager,
    order_id: int,
    carrier: str | None,
    service: str | None,
    tracking: str | None,
    items: Sequence[str],
    idempotency_key: str | None,
) -> int:
    """Create a shipment for one order (``shipments create``), its items parsed from ``SKU:QTY``;
    returns the shipment's id. The same idempotency key twice is refused, not shipped twice."""
    order = orders.get_order(session, order_id)
    shipment = fulfilment.create_shipment(
        session,
        plugins,
        [order],
        carrier_code=carrier or None,
        service=service or None,
        tracking=tracking,
        items=[fulfilment.ItemRequest.parse(text) for text in items if text.strip()],
        idempotency_key=idempotency_key,
    )
    return shipment.id


# ---------------------------------------------------------------------- products
def product_page(
    session: Session, *, q: str | None = None, offset: int = 0, limit: int = 50
) -> dict[str, Any]:
    """Products by SKU; ``q`` finds those whose SKU or title starts with it (:mod:`product_search`)."""
    check_page(offset, limit)
    found = product_search.search(session, q, offset=offset, limit=limit)
    products = found.products
    committed = catalog.committed_units(session, [p.id for p in products])
    rows = [
        {
            "id": p.id,
            "sku": p.sku,
            "title": p.title,
            "on_hand": p.stock_on_hand,
            "stock_source": records.stock_state(p),
            "available": catalog.available(p.stock_on_hand, committed.get(p.id, 0)),
            "rrp": money(p.rrp),
            "currency": p.currency,
        }
        for p in products
    ]
    return {
        "items": rows,
        "offset": offset,
        "limit": limit,
        "next_offset": offset + limit if found.more else None,
    }


def import_upload(session: Session, upload: IO[bytes], filename: str | None) -> catalogue_import.ImportReport:
    """An uploaded catalogue, imported as ``channelhub products import`` would import the file.

    The import reads a path (it tells CSV from JSON Lines by the suffix and streams it), so the
    upload is copied to a temporary file of the same suffix first, a megabyte at a time.
    """
    suffix = Path(filename or "upload.csv").suffix or ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        while chunk := upload.read(1 << 20):
            copy.write(chunk)
        copy.flush()
        return catalogue_import.import_file(session, Path(copy.name))


def product_record(session: Session, sku: str) -> dict[str, Any]:
    """``products show --json``."""
    data: dict[str, Any] = records.product_record(session, catalog.get_product(session, sku))
    fixed: dict[str, Any] = _fix_times(data)
    return fixed


# ---------------------------------------------------------------------- prices
def price_overview(session: Session, plugins: PluginManager) -> dict[str, Any]:
    """Per integration whether rules are on; every rule; every rule type with its params schema."""
    targets = list(session.scalars(select(Integration).order_by(Integration.alias)))
    return {
        "integrations": [
            {
                **integration_ref(i.id, i.alias),
                "rules_enabled": pricing.get_config(session, i.id).rules_enabled,
            }
            for i in targets
        ],
        "rules": [asdict(r) for r in pricing.list_rules(session)],
        "rule_types": [asdict(t) for t in pricing.rule_types(plugins)],
    }


def _change(c: pricing.PriceChange) -> dict[str, Any]:
    return {
        "channel_sku": c.channel_sku,
        "old_price": money(c.old_price),
        "new_price": money(c.new_price),
        "currency": c.currency,
        "rule_id": c.rule_id,
        "floored": c.floored,
        "why": c.explanation,
    }


def preview_page(
    session: Session,
    plugins: PluginManager,
    integration_id: int,
    offset: int,
    limit: int,
    *,
    count: bool = False,
) -> dict[str, Any]:
    """``rules preview --json``'s diff, one page of it; writes nothing.

    A page computes only the listings up to its end (and one more, to tell a next page), so it
    costs the same at any catalogue size. ``change_count`` needs every listing priced (seconds
    for a million), so it is filled only when ``count`` is asked for, else None.
    """
    check_page(offset, limit)
    integration = integrations.get_integration(session, integration_id)
    enabled = pricing.get_config(session, integration_id).rules_enabled
    stream = pricing.changes(session, plugins, integration_id, chunk=max(200, 2 * (offset + limit)))
    window = [_change(c) for c in islice(stream, offset, offset + limit + 1)]
    total = offset + len(window) + sum(1 for _ in stream) if count else None
    page = page_of(window, offset, limit)
    return {
        **integration_ref(integration_id, integration.alias),
        "rules_enabled": enabled,
        "change_count": total,
        "changes": page.pop("items"),
        **page,
    }


def preview_count(session: Session, plugins: PluginManager, integration_id: int) -> int:
    """How many listings an apply would queue (prices every listing)."""
    integrations.get_integration(session, integration_id)
    return sum(1 for _ in pricing.changes(session, plugins, integration_id))


# ---------------------------------------------------------------------- errors, usage
def error_records(session: Session, include_closed: bool = False) -> list[dict[str, Any]]:
    """``errors list --json``'s records."""
    return [
        {k: timestamp(v) if isinstance(v, datetime) else v for k, v in e.as_dict().items()}
        for e in quarantine.list_errors(session, include_closed=include_closed)
    ]


def usage_record(session: Session, month: str) -> dict[str, Any]:
    """``usage --json``, with orders per day (MFN and FBA), the count so far each day, and the
    subscription's monthly limit (``CHANNELHUB_ORDER_LIMIT``; None when 0) for the chart."""
    result = orders.usage(session, month)
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    day = (
        func.date(Order.purchase_date)
        if session.get_bind().dialect.name == "sqlite"
        else func.date(func.timezone("UTC", Order.purchase_date))
    )
    per_day: dict[str, dict[str, int]] = {}
    for when, method, count in session.execute(
        select(day, Order.fulfilment, func.count())
        .where(Order.purchase_date >= start, Order.purchase_date < end)
        .group_by(day, Order.fulfilment)
    ):
        entry = per_day.setdefault(str(when), {"mfn_orders": 0, "fba_orders": 0})
        entry["fba_orders" if method is Fulfilment.FBA else "mfn_orders"] += count
    days = []
    cursor = start
    so_far = Decimal(0)
    while cursor < end:
        key = cursor.date().isoformat()
        counts = per_day.get(key, {"mfn_orders": 0, "fba_orders": 0})
        so_far += counts["mfn_orders"] * orders.ORDER_WEIGHT[Fulfilment.MFN]
        so_far += counts["fba_orders"] * orders.ORDER_WEIGHT[Fulfilment.FBA]
        days.append({"day": key, **counts, "counted_to_date": number(so_far)})
        cursor += timedelta(days=1)
    limit = get_settings().order_limit or None
    return {
        "month": result.month,
        "mfn_orders": result.mfn_orders,
        "fba_orders": result.fba_orders,
        "counted": number(result.counted),
        "limit": limit,
        "days": days,
    }
