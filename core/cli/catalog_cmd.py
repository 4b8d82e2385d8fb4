"""``channelhub orders|products|stock|price|usage``: the hub's own records, from the terminal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from sqlalchemy import select

from core.cli.output import console, print_json, print_table
from core.db.members import member_of
from core.db.models import Integration, Listing, Order, OrderStatus, Product
from core.db.session import session_scope
from core.errors import InputError
from core.services import catalog, integrations, orders

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
            .where(member_of(Listing.product_id, [p.id for p in products]))
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
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise InputError("amount", f"must be a number like 12.99, got {amount!r}") from None
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
