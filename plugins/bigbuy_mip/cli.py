"""Commands: ``carriers``, ``fees``, ``rules``, ``filters`` and (merged into core's) ``orders``."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from sqlalchemy import select

from core.cli.output import console, err_console, print_json, print_table
from core.db.models import PriceRule
from core.db.session import session_scope
from core.errors import InputError, NotFoundError
from core.plugins import get_plugin_manager
from core.services.carrier_selection import select_carriers
from core.types import CliGroup
from plugins.bigbuy_mip import carriers_admin, filters, repricing
from plugins.bigbuy_mip.catalogue import get_catalogue
from plugins.bigbuy_mip.models import CarrierStrategy
from plugins.bigbuy_mip.options import find_integration, get_options, integrations, update_options
from plugins.bigbuy_mip.pricing import RULE_TYPES, validate_rule

INTEGRATION = typer.Option(None, "--integration", help="Integration alias (default: every integration).")
JSON = typer.Option(False, "--json", help="Machine-readable output.")
PARAM = typer.Option(None, "--param", help="KEY=VALUE, e.g. percent=20 rounding=0.99 base=cost.")
CATEGORY = typer.Option(None, "--category", help="Condition: product category (repeatable).")
BRAND = typer.Option(None, "--brand", help="Condition: brand (repeatable).")

carriers_app = typer.Typer(no_args_is_help=True)
fees_app = typer.Typer(no_args_is_help=True)
orders_app = typer.Typer(no_args_is_help=True)
rules_app = typer.Typer(
    no_args_is_help=True,
    help="Price rules. Lower priority numbers are tried first and the first matching rule wins "
    "(no stacking); rounding moves prices up; the floor (cost + shipping + commission) wins over any rule.",
)
filters_app = typer.Typer(no_args_is_help=True)


def _toggle(code: str, area: str, alias: str | None, enabled: bool, reselect: bool | None) -> None:
    catalogue = get_catalogue()
    catalogue.carrier(code)  # a typo in the carrier or area is the first thing to tell
    catalogue.area(area)
    with session_scope() as session:
        targets = integrations(session, alias)
        warnings = carriers_admin.set_carrier_enabled(
            session, catalogue, code, area, targets, enabled=enabled
        )
    console.print(
        f"{code} {'enabled' if enabled else 'disabled'} in {area} for {', '.join(t.alias for t in targets)}"
    )
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}")
    if not enabled:
        return
    with session_scope() as session:
        ids = carriers_admin.pending_ids_in_area(session, catalogue, [t.id for t in targets], area)
        if not ids or reselect is False:
            return
        if reselect is None and not typer.confirm(
            f"Re-run carrier selection for {len(ids)} pending order(s) in {area}?"
        ):
            return
        summary = select_carriers(session, get_plugin_manager(), ids)
    console.print(f"re-selected: {len(summary.assigned)} assigned, {len(summary.pending)} still pending")


@carriers_app.command("enable")
def enable(
    code: str = typer.Argument(..., help="Carrier code, e.g. gls."),
    area: str = typer.Option(..., "--area", help="Area code, e.g. ES-BALEARICS."),
    integration: str | None = INTEGRATION,
    yes: bool = typer.Option(
        False, "--yes", help="Re-run selection for pending orders of the area without asking."
    ),
    no_reselect: bool = typer.Option(
        False, "--no-reselect", help="Do not re-run selection for pending orders."
    ),
) -> None:
    """Enable a carrier in an area (takes effect at once); offers to re-select pending orders there."""
    _toggle(code, area, integration, True, True if yes else (False if no_reselect else None))


@carriers_app.command("disable")
def disable(
    code: str = typer.Argument(..., help="Carrier code."),
    area: str = typer.Option(..., "--area", help="Area code."),
    integration: str | None = INTEGRATION,
) -> None:
    """Disable a carrier in an area (at once); warns when the area is left with no carrier."""
    _toggle(code, area, integration, False, False)


@carriers_app.command("list")
def list_carriers(integration: str | None = INTEGRATION, as_json: bool = JSON) -> None:
    """The matrix of integration x area x carrier, enabled or not."""
    catalogue = get_catalogue()
    with session_scope() as session:
        rows = carriers_admin.matrix(session, catalogue, integrations(session, integration))
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    print_table(
        "Carriers",
        ["integration", "area", "carrier", "tracking", "enabled"],
        [
            (
                r.integration,
                r.area,
                r.carrier,
                catalogue.carriers[r.carrier].tracking,
                "yes" if r.enabled else "NO",
            )
            for r in rows
        ],
    )


@carriers_app.command("strategy")
def strategy(
    value: CarrierStrategy = typer.Argument(..., help="cheapest or fastest"),
    integration: str = typer.Option(..., "--integration", help="Integration alias."),
) -> None:
    """How orders of the integration get their carrier: cheapest or fastest enabled one."""
    with session_scope() as session:
        update_options(session, find_integration(session, integration).id, carrier_strategy=value.value)
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
        off = carriers_admin.disabled_pairs(session, find_integration(session, integration).id)
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
                        "price": str(price),
                        "currency": band.currency or catalogue.currency,
                        "transit_days": band.transit_days,
                    }
                )
    note = "Prices exclude the channel's commission, which is charged on product + shipping."
    if as_json:
        print_json({"strategy": strategy_name, "fees": rows, "note": note})
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


@orders_app.command("pending")
def orders_pending(integration: str | None = INTEGRATION, as_json: bool = JSON) -> None:
    """Orders in Pending review, with the reason and the carriers that could serve them."""
    catalogue = get_catalogue()
    with session_scope() as session:
        ids = [i.id for i in integrations(session, integration)] if integration else None
        pending = carriers_admin.pending_orders(session, catalogue, ids)
    if as_json:
        print_json([asdict(p) for p in pending])
        return
    print_table(
        "Pending review",
        ["order", "integration", "destination", "area", "reason", "carriers (enabled*)"],
        [
            (
                p.channel_order_id,
                p.integration,
                p.destination,
                p.area,
                p.reason,
                ", ".join(f"{c['code']}{'*' if c['enabled'] else ''}" for c in p.available),
            )
            for p in pending
        ],
    )


@orders_app.command("assign-carrier")
def orders_assign(
    order: str = typer.Argument(..., help="Channel order id (or hub order id)."),
    code: str = typer.Argument(..., help="Carrier code."),
    service: str | None = typer.Option(
        None, "--service", help="Service code (default: one serving the area)."
    ),
    integration: str | None = typer.Option(
        None, "--integration", help="Integration alias, if the id is ambiguous."
    ),
    force: bool = typer.Option(False, "--force", help="Accept a carrier that does not serve the area."),
) -> None:
    """Choose an order's carrier by hand; the order leaves Pending review and continues."""
    catalogue = get_catalogue()
    with session_scope() as session:
        target = find_integration(session, integration) if integration else None
        found = carriers_admin.find_order(session, order, target)
        chosen = carriers_admin.assign_carrier(
            session, catalogue, found, code, service_code=service, force=force
        )
    console.print(f"order {order}: {code} ({chosen}), awaiting shipment")


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError("param", f"expected KEY=VALUE, got {pair!r}")
        params[key] = value
    return params


def _money(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        Decimal(value)
    except InvalidOperation as exc:
        raise InputError(field, f"not a number: {value!r}") from exc
    return value


@rules_app.command("add")
def rules_add(
    rule_type: str = typer.Argument(..., help=f"One of: {', '.join(RULE_TYPES)}."),
    param: list[str] | None = PARAM,
    integration: str | None = typer.Option(None, "--integration", help="Integration alias (default: all)."),
    name: str | None = typer.Option(None, "--name"),
    priority: int = typer.Option(100, "--priority", help="Lower is tried first; first match wins."),
    category: list[str] | None = CATEGORY,
    brand: list[str] | None = BRAND,
    sku_pattern: str | None = typer.Option(None, "--sku-pattern", help="Shell glob, e.g. 'BB-*'."),
    price_min: str | None = typer.Option(None, "--price-min", help="On the RRP (cost if no RRP)."),
    price_max: str | None = typer.Option(None, "--price-max"),
) -> None:
    """Add a price rule (validated; nothing stored on bad input)."""
    conditions: dict[str, Any] = {
        k: v
        for k, v in {
            "categories": category or None,
            "brands": brand or None,
            "sku_pattern": sku_pattern,
            "price_min": _money(price_min, "price_min"),
            "price_max": _money(price_max, "price_max"),
        }.items()
        if v is not None
    }
    params = _parse_params(param or [])
    validate_rule(rule_type, conditions, params)
    with session_scope() as session:
        integration_id = find_integration(session, integration).id if integration else None
        rule = PriceRule(
            integration_id=integration_id,
            name=name or rule_type,
            rule_type=rule_type,
            priority=priority,
            enabled=True,
            conditions=conditions,
            params=params,
        )
        session.add(rule)
        session.flush()
        console.print(f"rule {rule.id} added")


@rules_app.command("list")
def rules_list(integration: str | None = INTEGRATION, as_json: bool = JSON) -> None:
    """Rules in the order they are tried (priority, then id); the first match wins."""
    with session_scope() as session:
        query = select(PriceRule).order_by(PriceRule.priority, PriceRule.id)
        if integration:
            iid = find_integration(session, integration).id
            query = query.where((PriceRule.integration_id == iid) | PriceRule.integration_id.is_(None))
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "type": r.rule_type,
                "priority": r.priority,
                "integration_id": r.integration_id,
                "conditions": r.conditions,
                "params": r.params,
            }
            for r in session.scalars(query)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Price rules (first match wins)",
        ["id", "priority", "type", "name", "conditions", "params"],
        [(r["id"], r["priority"], r["type"], r["name"], r["conditions"], r["params"]) for r in rows],
    )


@rules_app.command("remove")
def rules_remove(rule_id: int = typer.Argument(...)) -> None:
    """Delete a rule."""
    with session_scope() as session:
        rule = session.get(PriceRule, rule_id)
        if rule is None:
            raise NotFoundError(f"no price rule {rule_id}")
        session.delete(rule)
    console.print(f"rule {rule_id} removed")


def _switch(integration: str, on: bool) -> None:
    with session_scope() as session:
        update_options(session, find_integration(session, integration).id, rules_enabled=on)
    console.print(f"price rules {'on' if on else 'off (prices = RRP)'} for {integration}")


@rules_app.command("on")
def rules_on(integration: str = typer.Option(..., "--integration")) -> None:
    """Let rules set the integration's prices."""
    _switch(integration, True)


@rules_app.command("off")
def rules_off(integration: str = typer.Option(..., "--integration")) -> None:
    """Price the integration at RRP (the floor still applies)."""
    _switch(integration, False)


@rules_app.command("floor")
def rules_floor(
    integration: str = typer.Option(..., "--integration"),
    commission: str | None = typer.Option(None, "--commission", help="Channel commission, percent."),
    shipping: str | None = typer.Option(None, "--shipping", help="Shipping cost counted in the floor."),
) -> None:
    """Set the floor's inputs: floor = (cost + shipping) / (1 - commission%)."""
    changes: dict[str, Decimal] = {}
    if commission is not None:
        changes["commission_percent"] = Decimal(_money(commission, "commission") or "0")
    if shipping is not None:
        changes["floor_shipping"] = Decimal(_money(shipping, "shipping") or "0")
    with session_scope() as session:
        options = update_options(session, find_integration(session, integration).id, **changes)
        console.print(
            f"floor for {integration}: commission {options.commission_percent}%, "
            f"shipping {options.floor_shipping}"
        )


@rules_app.command("preview")
def rules_preview(integration: str = typer.Option(..., "--integration"), as_json: bool = JSON) -> None:
    """Old price, new price and the rule for each affected product; changes nothing."""
    with session_scope() as session:
        target = find_integration(session, integration)
        enabled = get_options(session, target.id).rules_enabled
        changes = list(repricing.changes(session, target))
        session.rollback()
    rows = [
        {
            "sku": c.channel_sku,
            "old_price": None if c.old_price is None else str(c.old_price),
            "new_price": str(c.new_price),
            "currency": c.currency,
            "rule_id": c.rule_id,
            "why": c.explanation,
        }
        for c in changes
    ]
    if as_json:
        print_json({"rules_enabled": enabled, "changes": rows})
        return
    print_table(
        f"Price preview for {integration} (rules {'on' if enabled else 'off: RRP'})",
        ["sku", "old", "new", "why"],
        [(r["sku"], r["old_price"], f"{r['new_price']} {r['currency']}", r["why"]) for r in rows],
    )


@rules_app.command("apply")
def rules_apply(integration: str = typer.Option(..., "--integration")) -> None:
    """Queue the previewed prices as outbox price updates."""
    with session_scope() as session:
        count = repricing.apply(session, find_integration(session, integration))
    console.print(f"{count} price update(s) queued for {integration}")


@filters_app.command("add")
def filters_add(
    mode: str = typer.Argument(..., help="include or exclude"),
    integration: str = typer.Option(..., "--integration"),
    category: str | None = typer.Option(None, "--category"),
    brand: str | None = typer.Option(None, "--brand"),
    sku_pattern: str | None = typer.Option(None, "--sku-pattern"),
    stock_below: int | None = typer.Option(None, "--stock-below", help="Exclude when stock is below this."),
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
        rows = [
            {
                "id": f.id,
                "integration_id": f.integration_id,
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
def filters_remove(filter_id: int = typer.Argument(...)) -> None:
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
        CliGroup("carriers", carriers_app, help="Carriers per area: enable, disable, list, strategy."),
        CliGroup("fees", fees_app, help="Shipping fee tables to configure on the channel."),
        CliGroup("orders", orders_app, help="Orders."),
        CliGroup("rules", rules_app, help="Price rules: first match by priority, rounding, floor."),
        CliGroup("filters", filters_app, help="Include or exclude products per integration."),
    ]
