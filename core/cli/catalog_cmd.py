"""``channelhub orders|products|stock|price|usage``: the hub's own records, from the terminal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.cli.output import console, err_console, print_json, print_table, progress_bar
from core.db.models import (
    Integration,
    Listing,
    Order,
    OrderStatus,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Product,
)
from core.db.session import session_scope
from core.dto import Fulfilment
from core.errors import InputError
from core.services import catalog, catalogue_import, integrations, orders
from core.services.prices import parse_price

orders_app = typer.Typer(no_args_is_help=True)
products_app = typer.Typer(no_args_is_help=True)
stock_app = typer.Typer(no_args_is_help=True)
price_app = typer.Typer(no_args_is_help=True)


@orders_app.command("list")
def orders_list(
    status: OrderStatus | None = typer.Option(None, help="Only orders in this status."),
    limit: int = typer.Option(50, min=1, help="At most this many, soonest ship-by first."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Orders, soonest ship-by date first."""
    with session_scope() as session:
        query = (
            select(Order, Integration.alias)
            .join(Integration)
            .order_by(Order.ship_by.asc().nulls_last(), Order.id)
        )
        if status is not None:
            query = query.where(Order.status == status)
        rows = [
            {
                "id": o.id,
                "integration": alias,
                "channel_order_id": o.channel_order_id,
                "status": o.status.value,
                "fulfilment": o.fulfilment.value,
                "ship_by": o.ship_by,
                "total": None if o.total is None else str(o.total),
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


@orders_app.command("cancel")
def orders_cancel(order_id: int) -> None:
    """Cancel in the hub only (the channel is not told); an unshipped order's units are restocked."""
    with session_scope() as session:
        order = orders.cancel(session, order_id)
        console.print(f"order {order.id} ({order.channel_order_id}) cancelled in the hub", highlight=False)


@products_app.command("list")
def products_list(
    limit: int = typer.Option(100, min=1),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Hub products with stock and where each is listed."""
    with session_scope() as session:
        products = session.scalars(select(Product).order_by(Product.sku).limit(limit)).all()
        committed = catalog.committed_units(session, [p.id for p in products])
        listed: dict[int, list[str]] = {}
        for product_id, alias in session.execute(
            select(Listing.product_id, Integration.alias)
            .join(Integration)
            .where(Listing.product_id.in_([p.id for p in products]))
        ):
            listed.setdefault(product_id, []).append(alias)
        rows: list[dict[str, Any]] = [
            {
                "sku": p.sku,
                "title": p.title,
                "on_hand": p.stock_on_hand,
                "available": catalog.available(p.stock_on_hand, committed.get(p.id, 0)),
                "rrp": None if p.rrp is None else str(p.rrp),
                "listed_on": sorted(listed.get(p.id, [])),
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
            (r["sku"], r["title"], r["on_hand"], r["available"], r["rrp"], ", ".join(r["listed_on"]))
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
        data = _product_data(session, product)
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
        data = _product_data(session, catalog.get_product(session, sku))
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


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _product_data(session: Session, product: Product) -> dict[str, Any]:
    """``products show``'s view of one product (also printed by ``products set --json``)."""
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
        "stock_source": product.stock_source or ("hub" if product.stock_on_hand is not None else "unknown"),
        "committed": committed,
        "available": catalog.available(product.stock_on_hand, committed),
        "fba_quantity": fba,
        "listings": rows,
    }


@stock_app.command("set")
def stock_set(sku: str, quantity: int) -> None:
    """Set units on hand; the available quantity is queued for every MFN listing."""
    with session_scope() as session:
        product = catalog.set_stock(session, sku, quantity)
        console.print(
            f"{sku}: {product.stock_on_hand} on hand; queued for the next outbound run", highlight=False
        )


@price_app.command("set")
def price_set(
    sku: str,
    amount: str,
    integration: list[str] = typer.Option([], "--integration", "-i", help="Only these integrations."),
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
                "mfn": result.mfn_orders,
                "fba": result.fba_orders,
                "counted": str(result.counted),
            }
        )
        return
    console.print(
        f"{result.month}: {result.counted} ({result.mfn_orders} MFN x 1, {result.fba_orders} FBA x 0.5)"
    )
