"""``channelhub orders|products|stock|price|usage``: the hub's own records, from the terminal."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import case, or_, select

from core.cli import validate
from core.cli.output import (
    console,
    err_console,
    print_json,
    print_table,
    progress_bar,
)
from core.db.members import member_of
from core.db.models import (
    Integration,
    Listing,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    StockSource,
)
from core.db.session import session_scope
from core.errors import InputError
from core.json_convention import integration_ref, money, number
from core.services import catalog, catalogue_import, integrations, orders, records
from core.services.prices import parse_price

orders_app = typer.Typer(no_args_is_help=True)
products_app = typer.Typer(no_args_is_help=True)
stock_app = typer.Typer(no_args_is_help=True)
price_app = typer.Typer(no_args_is_help=True)

CLOSED_STATUSES = (OrderStatus.SHIPPED, OrderStatus.CANCELLED)
"""Orders with nothing left to do; ``orders list`` shows them after the open ones."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@orders_app.command("list")
def orders_list(
    status: OrderStatus | None = typer.Option(None, help="Only orders in this status (any, shipped too)."),
    integration: str | None = typer.Option(None, "--integration", "-i", help="Only this integration."),
    sku: str | None = typer.Option(None, "--sku", help="Only orders with an item of this SKU."),
    show_all: bool = typer.Option(False, "--all", help="Shipped and cancelled orders too."),
    limit: int = typer.Option(
        50, min=1, max=100_000, help="At most this many: open orders first, soonest ship-by first."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Orders still to ship, soonest ship-by date first (--all or --status for the others)."""
    closed = case((Order.status.in_(CLOSED_STATUSES), 1), else_=0)
    with session_scope() as session:
        query = (
            select(Order, Integration.alias)
            .join(Integration)
            .order_by(closed, Order.ship_by.asc().nulls_last(), Order.id)
        )
        if status is not None:
            query = query.where(Order.status == status)
        elif not show_all:
            query = query.where(Order.status.not_in((OrderStatus.SHIPPED, OrderStatus.CANCELLED)))
        if integration is not None:
            query = query.where(Order.integration_id == integrations.find(session, integration).id)
        if sku is not None:
            query = query.where(Order.id.in_(select(OrderItem.order_id).where(OrderItem.sku == sku)))
        rows = [
            {
                "id": o.id,
                **integration_ref(o.integration_id, alias),
                "channel_order_id": o.channel_order_id,
                "status": o.status.value,
                "fulfilment": o.fulfilment.value,
                "ship_by": o.ship_by,
                "total": money(o.total),
                "currency": o.currency,
                "carrier": o.carrier_code,
                "review_reason": o.review_reason,
            }
            for o, alias in session.execute(query.limit(limit))
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Orders",
        ["id", "integration", "channel order", "status", "ship by", "total", "carrier"],
        [
            (
                r["id"],
                r["integration"],
                r["channel_order_id"],
                r["status"],
                r["ship_by"],
                f"{r['total']} {r['currency']}",
                r["carrier"],
            )
            for r in rows
        ],
    )


@orders_app.command("show")
def orders_show(
    order: str = typer.Argument(..., help="Channel order id, ALIAS:ID or the hub id."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """One order: items, addresses (REDACTED after redaction), carrier, shipments, notification."""
    with session_scope() as session:
        data = records.order_record(session, orders.find_order(session, order))
    if as_json:
        print_json(data)
        return
    ship = data["ship_to"]
    console.print(
        f"order {data['id']} ({data['channel_order_id']}) on {data['integration']}: {data['status']}, "
        f"{data['fulfilment']}, ship by {data['ship_by']}\n"
        f"buyer {data['buyer_name']} <{data['buyer_email']}>\n"
        f"ship to {ship['name']}, {ship['line1']}, {ship['postal_code']} {ship['city']}, {ship['country']}\n"
        f"carrier {data['carrier']} {data['service'] or ''}"
        + (f" (review: {data['review_reason']})" if data["review_reason"] else ""),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    print_table(
        "Items",
        ["sku", "title", "qty", "unit price"],
        [
            (i["sku"], i["title"], i["quantity"], f"{i['unit_price']} {data['currency']}")
            for i in data["items"]
        ],
    )
    print_table(
        "Shipments",
        ["id", "carrier", "tracking", "shipped", "notified"],
        [
            (s["id"], s["carrier"], s["tracking_number"], s["shipped_at"], s["notify_state"])
            for s in data["shipments"]
        ],
    )


@orders_app.command("cancel")
def orders_cancel(order_id: int = typer.Argument(..., callback=validate.db_id)) -> None:
    """Cancel in the hub only (the channel is not told); an unshipped order's units are restocked."""
    with session_scope() as session:
        order = orders.cancel(session, order_id)
        console.print(f"order {order.id} ({order.channel_order_id}) cancelled in the hub", highlight=False)


STOCK_STATES = ("unknown", "channel", "hub")


@products_app.command("list")
def products_list(
    integration: str | None = typer.Option(None, "--integration", "-i", help="Only products listed there."),
    status: str | None = typer.Option(
        None, "--status", help="Stock state: unknown (never learned), channel (adopted), hub (set)."
    ),
    sku: str | None = typer.Option(None, "--sku", help="SKU, or a pattern with * (e.g. 'MUG-*')."),
    limit: int = typer.Option(100, min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Hub products with stock and where each is listed."""
    if status is not None and status not in STOCK_STATES:
        raise InputError("status", f"must be one of {', '.join(STOCK_STATES)}, got {status!r}")
    with session_scope() as session:
        query = select(Product).order_by(Product.sku)
        if integration is not None:
            iid = integrations.find(session, integration).id
            query = query.where(
                Product.id.in_(select(Listing.product_id).where(Listing.integration_id == iid))
            )
        if status == "unknown":
            query = query.where(Product.stock_on_hand.is_(None))
        elif status == "channel":
            query = query.where(Product.stock_source == StockSource.CHANNEL.value)
        elif status == "hub":
            query = query.where(
                Product.stock_on_hand.is_not(None),
                or_(Product.stock_source.is_(None), Product.stock_source == StockSource.HUB.value),
            )
        if sku is not None:
            query = query.where(
                Product.sku.like(sku.replace("%", r"\%").replace("_", r"\_").replace("*", "%"), escape="\\")
            )
        products = session.scalars(query.limit(limit)).all()
        committed = catalog.committed_units(session, [p.id for p in products])
        listed: dict[int, list[dict[str, Any]]] = {}
        for product_id, integration_id, alias in session.execute(
            select(Listing.product_id, Integration.id, Integration.alias)
            .join(Integration)
            .where(member_of(Listing.product_id, [p.id for p in products]))
            .order_by(Integration.alias)
        ):
            listed.setdefault(product_id, []).append(integration_ref(integration_id, alias))
        rows: list[dict[str, Any]] = [
            {
                "id": p.id,
                "sku": p.sku,
                "title": p.title,
                "on_hand": p.stock_on_hand,
                "stock_source": records.stock_state(p),
                "available": catalog.available(p.stock_on_hand, committed.get(p.id, 0)),
                "rrp": money(p.rrp),
                "currency": p.currency,
                "listed_on": listed.get(p.id, []),
            }
            for p in products
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Products",
        ["sku", "title", "on hand", "available", "rrp", "listed on"],
        [
            (
                r["sku"],
                r["title"],
                "unknown" if r["on_hand"] is None else r["on_hand"],
                r["available"],
                r["rrp"],
                ", ".join(i["integration"] for i in r["listed_on"]),
            )
            for r in rows
        ],
    )


@products_app.command("import")
def products_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV (with header) or JSON Lines."),
    fmt: str | None = typer.Option(None, "--format", help="csv or jsonl (default: from the file name)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count; store nothing."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Upsert products by SKU from a file: sku,title,ean,brand,category,weight_kg,cost,rrp,currency,on_hand.

    Empty cells keep what is stored. Bad rows are listed with their line and reason while the
    good ones load; stock and RRP changes are queued for every listing like `stock set`.
    """

    def report_bad(line: int, reason: str) -> None:
        if not as_json:
            err_console.print(f"line {line}: {reason}", highlight=False, markup=False)

    with progress_bar(transient=True) as bar, session_scope() as session:
        task = bar.add_task(f"importing {file.name}", total=file.stat().st_size)
        report = catalogue_import.import_file(
            session,
            file,
            fmt=fmt,
            dry_run=dry_run,
            on_error=report_bad,
            progress=lambda n: bar.advance(task, n),
        )
        if dry_run:
            session.rollback()
    if as_json:
        print_json(
            {
                "dry_run": report.dry_run,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "bad": report.bad,
                "quantity_pushes": report.quantity_pushes,
                "price_pushes": report.price_pushes,
                "errors": [{"line": line, "reason": reason} for line, reason in report.errors],
            }
        )
        return
    verb = "would create" if dry_run else "created"
    console.print(
        f"{file.name}: {report.rows} row(s): {verb} {report.created}, "
        f"{'would update' if dry_run else 'updated'} {report.updated}, bad {report.bad}"
        + (
            ""
            if dry_run
            else f"; queued {report.quantity_pushes} stock, {report.price_pushes} price push(es)"
        ),
        highlight=False,
        soft_wrap=True,
    )


@products_app.command("set")
def products_set(
    sku: str,
    title: str | None = typer.Option(None, "--title"),
    ean: str | None = typer.Option(None, "--ean"),
    brand: str | None = typer.Option(None, "--brand"),
    category: str | None = typer.Option(None, "--category"),
    weight: str | None = typer.Option(None, "--weight", help="Kilograms."),
    cost: str | None = typer.Option(None, "--cost"),
    rrp: str | None = typer.Option(None, "--rrp", help="Default listing price, queued for every listing."),
    currency: str | None = typer.Option(None, "--currency", help="ISO 4217 code of cost and RRP."),
    on_hand: int | None = typer.Option(None, "--on-hand", help="Units on hand, queued like `stock set`."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Change one product's data; nothing is stored if any value is bad."""
    try:
        kg = None if weight is None else Decimal(weight)
    except InvalidOperation:
        raise InputError("weight", f"must be a number of kilograms, got {weight!r}") from None
    edit = catalog.ProductEdit(title, ean, brand, category, kg, cost, rrp, currency, on_hand)
    with session_scope() as session:
        product = catalog.update_product(session, sku, edit)
        data = records.product_record(session, product)
    if as_json:
        print_json(data)
        return
    console.print(
        f"{sku}: updated; on hand {data['on_hand']}, RRP {data['rrp']} {data['currency']}", highlight=False
    )


@products_app.command("show")
def products_show(
    sku: str, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")
) -> None:
    """One product: data, stock (on hand, committed, available), each listing and what is queued."""
    with session_scope() as session:
        data = records.product_record(session, catalog.get_product(session, sku))
    if as_json:
        print_json(data)
        return
    console.print(
        f"{data['sku']}  {data['title'] or ''}\n"
        f"brand {data['brand']}, category {data['category']}, weight {data['weight_kg']} kg, "
        f"EAN {data['ean']}\n"
        f"cost {data['cost']}, RRP {data['rrp']} {data['currency'] or ''}\n"
        f"on hand {data['on_hand'] if data['on_hand'] is not None else 'unknown'} ({data['stock_source']}), "
        f"committed {data['committed']}, available {data['available']}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    print_table(
        "Listings",
        [
            "integration",
            "channel sku",
            "fulfilment",
            "excluded",
            "channel qty",
            "pushed qty",
            "price",
            "queued",
        ],
        [
            (
                lst["integration"],
                lst["channel_sku"],
                lst["fulfilment"],
                "yes" if lst["excluded"] else "",
                lst["channel_quantity"],
                lst["pushed_quantity"],
                f"{lst['channel_price']} {lst['currency']}" if lst["channel_price"] else None,
                ", ".join(f"{q['kind']} {q['value']}" for q in lst["queued"]),
            )
            for lst in data["listings"]
        ],
    )


@stock_app.command("set")
def stock_set(
    sku: str = typer.Argument(..., callback=validate.sku),
    quantity: int = typer.Argument(..., callback=validate.quantity),
) -> None:
    """Set units on hand; the available quantity is queued for every MFN listing."""
    with session_scope() as session:
        product = catalog.set_stock(session, sku, quantity)
        console.print(
            f"{sku}: {product.stock_on_hand} on hand; queued for the next outbound run", highlight=False
        )


@price_app.command("set")
def price_set(
    sku: str = typer.Argument(..., callback=validate.sku),
    amount: str = typer.Argument(..., callback=validate.money),
    integration: list[str] = typer.Option(
        [], "--integration", "-i", help="Only these integrations.", callback=validate.alias
    ),
) -> None:
    """Queue a listing price (in each listing's currency) for the next outbound run."""
    value = parse_price("amount", amount, None)
    with session_scope() as session:
        ids = None
        if integration:
            ids = [integrations.find(session, name).id for name in integration]
        rows = catalog.set_price(session, sku, value, integration_ids=ids)
        console.print(f"{sku}: {value} queued for {len(rows)} listing(s)", highlight=False)


def usage(
    month: str = typer.Option(..., help="YYYY-MM"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Orders counted against a subscription's monthly limit (MFN 1, FBA 0.5)."""
    with session_scope() as session:
        result = orders.usage(session, month)
    if as_json:
        print_json(
            {
                "month": result.month,
                "mfn_orders": result.mfn_orders,
                "fba_orders": result.fba_orders,
                "counted": number(result.counted),
            }
        )
        return
    console.print(
        f"{result.month}: {result.counted} ({result.mfn_orders} MFN x 1, {result.fba_orders} FBA x 0.5)"
    )
