"""Commands: ``carriers strategy``, ``fees``, ``filters`` and (merged into core's) ``orders``.

Price rules and carrier switches are core's (``channelhub rules``, ``carriers enable|disable|list``);
this plugin provides rule types, carriers and their areas through hooks.
"""

from __future__ import annotations

import typer

from core.api import (
    CliGroup,
    InputError,
    console,
    disabled_pairs,
    find_integration,
    integration_aliases,
    integration_ref,
    money,
    print_json,
    print_table,
    session_scope,
    validate,
)
from plugins.bigbuy_mip import filters
from plugins.bigbuy_mip.catalogue import get_catalogue
from plugins.bigbuy_mip.models import CarrierStrategy
from plugins.bigbuy_mip.options import set_strategy

INTEGRATION = typer.Option(None, "--integration", help="Integration alias (default: every integration).")
JSON = typer.Option(False, "--json", help="Machine-readable output.")

carriers_app = typer.Typer(no_args_is_help=True)
fees_app = typer.Typer(no_args_is_help=True)
orders_app = typer.Typer(no_args_is_help=True)
filters_app = typer.Typer(no_args_is_help=True)


@carriers_app.command("strategy")
def strategy(
    value: CarrierStrategy = typer.Argument(..., help="cheapest or fastest"),
    integration: str = typer.Option(..., "--integration", help="Integration alias."),
) -> None:
    """How orders of the integration get their carrier: cheapest or fastest enabled one."""
    with session_scope() as session:
        set_strategy(session, find_integration(session, integration).id, value)
    console.print(f"carrier strategy for {integration}: {value.value}")


@fees_app.command("show")
def fees_show(
    integration: str = typer.Option(..., "--integration", help="Integration alias."),
    strategy_name: str = typer.Option(
        "conservative", "--strategy", help="conservative (max column) or competitive (min column)."
    ),
    as_json: bool = JSON,
) -> None:
    """The shipping fees to configure on the channel, per area, enabled carrier and band."""
    if strategy_name not in ("conservative", "competitive"):
        raise InputError("strategy", f"must be conservative or competitive, got {strategy_name!r}")
    catalogue = get_catalogue()
    with session_scope() as session:
        target = find_integration(session, integration)
        ref = integration_ref(target.id, target.alias)
        off = disabled_pairs(session, target.id)
    rows = []
    for area in catalogue.areas:
        for carrier in catalogue.carriers_serving(area):
            if (area, carrier) in off:
                continue
            for band in catalogue.bands(area, carrier):
                price = band.max_price if strategy_name == "conservative" else band.min_price
                rows.append(
                    {
                        "area": area,
                        "carrier": carrier,
                        "service": band.service,
                        "band": band.label,
                        "basis": band.basis,
                        "max_kg": None if band.max_kg is None else float(band.max_kg),
                        "price": money(price),
                        "currency": band.currency or catalogue.currency,
                        "transit_days": band.transit_days,
                    }
                )
    note = "Prices exclude the channel's commission, which is charged on product + shipping."
    if as_json:
        print_json({**ref, "strategy": strategy_name, "fees": rows, "note": note})
        return
    print_table(
        f"Shipping fees ({strategy_name}: {'max' if strategy_name == 'conservative' else 'min'} column)",
        ["area", "carrier", "service", "band", "price", "transit days"],
        [
            (
                r["area"],
                r["carrier"],
                r["service"],
                r["band"],
                f"{r['price']} {r['currency']}",
                r["transit_days"],
            )
            for r in rows
        ],
    )
    console.print(f"note: {note}")


@filters_app.command("add")
def filters_add(
    mode: str = typer.Argument(..., help="include or exclude"),
    integration: str = typer.Option(..., "--integration"),
    category: str | None = typer.Option(None, "--category", callback=validate.label),
    brand: str | None = typer.Option(None, "--brand", callback=validate.label),
    sku_pattern: str | None = typer.Option(None, "--sku-pattern", callback=validate.label),
    stock_below: int | None = typer.Option(
        None, "--stock-below", help="Exclude when stock is below this.", callback=validate.quantity
    ),
) -> None:
    """Include or exclude products from an integration."""
    with session_scope() as session:
        row = filters.add_filter(
            session,
            find_integration(session, integration),
            mode,
            category=category,
            brand=brand,
            sku_pattern=sku_pattern,
            stock_below=stock_below,
        )
        changed = filters.apply_filters(session, find_integration(session, integration))
        console.print(f"filter {row.id} added; {changed} product(s) changed side on {integration}")


@filters_app.command("list")
def filters_list(integration: str | None = INTEGRATION, as_json: bool = JSON) -> None:
    """Product filters."""
    with session_scope() as session:
        iid = find_integration(session, integration).id if integration else None
        aliases = integration_aliases(session)
        rows = [
            {
                "id": f.id,
                **integration_ref(f.integration_id, aliases.get(f.integration_id)),
                "mode": f.mode,
                "category": f.category,
                "brand": f.brand,
                "sku_pattern": f.sku_pattern,
                "stock_below": f.stock_below,
            }
            for f in filters.list_filters(session, iid)
        ]
    if as_json:
        print_json(rows)
        return
    print_table("Product filters", list(rows[0]) if rows else ["id"], [list(r.values()) for r in rows])


@filters_app.command("remove")
def filters_remove(filter_id: int = typer.Argument(..., callback=validate.db_id)) -> None:
    """Delete a filter."""
    with session_scope() as session:
        integration = filters.remove_filter(session, filter_id)
        changed = filters.apply_filters(session, integration)
        alias = integration.alias
    console.print(f"filter {filter_id} removed; {changed} product(s) queued again on {alias}")


@filters_app.command("apply")
def filters_apply(integration: str = typer.Option(..., "--integration")) -> None:
    """Re-evaluate the filters (e.g. after a catalogue import): excluded products push 0."""
    with session_scope() as session:
        target = find_integration(session, integration)
        changed = filters.apply_filters(session, target)
        excluded = len(filters.excluded_listings(session, target))
    console.print(f"{excluded} excluded listing(s) held at 0 on {integration}; {changed} changed side")


def groups() -> list[CliGroup]:
    return [
        CliGroup("carriers", carriers_app, help="Carriers per area: how orders pick one (strategy)."),
        CliGroup("fees", fees_app, help="Shipping fee tables to configure on the channel."),
        CliGroup("orders", orders_app, help="Orders."),
        CliGroup("filters", filters_app, help="Include or exclude products per integration."),
    ]
