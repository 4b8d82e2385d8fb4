"""``channelhub rules``: price rules of every installed pricing plugin, on core's pricing service."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Any

import typer

from core.cli import validate
from core.cli.output import console, print_json, print_table
from core.db.session import session_scope
from core.errors import InputError
from core.json_convention import integration_ref
from core.plugins import get_plugin_manager
from core.services import integrations, pricing

JSON = typer.Option(False, "--json", help="Machine-readable output.")
TARGET = typer.Option(..., "--integration", help="Integration alias.")

app = typer.Typer(
    no_args_is_help=True,
    help="Price rules. Lower priority numbers are tried first and the first matching rule wins "
    "(no stacking); rounding moves prices up; the floor (cost + shipping + commission) wins over any rule.",
)


def _decimal(value: str | None, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise InputError(field, f"not a number: {value!r}") from exc
    if not number.is_finite():
        raise InputError(field, f"not a number: {value!r}")
    return number


def _params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError("param", f"expected KEY=VALUE, got {pair!r}")
        params[key] = value
    return params


def _integration_id(alias: str) -> int:
    with session_scope() as session:
        return integrations.find(session, alias).id


@app.command("types")
def rules_types(as_json: bool = JSON) -> None:
    """Rule types offered by the installed plugins, and their parameters."""
    types = pricing.rule_types(get_plugin_manager())
    if as_json:
        print_json([asdict(t) for t in types])
        return
    print_table(
        "Price rule types",
        ["type", "name", "parameters", "description"],
        [(t.key, t.name, ", ".join(t.params_schema.get("properties", {})), t.description) for t in types],
    )


@app.command("add")
def rules_add(
    rule_type: str = typer.Argument(..., help="A rule type key (see `channelhub rules types`)."),
    param: list[str] | None = typer.Option(
        None, "--param", help="KEY=VALUE, e.g. percent=20 rounding=0.99 base=cost."
    ),
    integration: str | None = typer.Option(None, "--integration", help="Integration alias (default: all)."),
    name: str | None = typer.Option(None, "--name", callback=validate.label),
    priority: int = typer.Option(
        100, "--priority", help="Lower is tried first; first match wins.", callback=validate.db_int
    ),
    category: list[str] | None = typer.Option(
        None, "--category", help="Condition: product category (repeatable)."
    ),
    brand: list[str] | None = typer.Option(None, "--brand", help="Condition: brand (repeatable)."),
    sku_pattern: str | None = typer.Option(
        None, "--sku-pattern", help="Shell glob, e.g. 'BB-*'.", callback=validate.label
    ),
    price_min: str | None = typer.Option(
        None, "--price-min", help="On the RRP (cost if no RRP).", callback=validate.money
    ),
    price_max: str | None = typer.Option(None, "--price-max", callback=validate.money),
    as_json: bool = JSON,
) -> None:
    """Add a price rule (validated by its type; nothing stored on bad input)."""
    conditions = {
        key: value
        for key, value in {
            "categories": category or None,
            "brands": brand or None,
            "sku_pattern": sku_pattern,
            "price_min": _decimal(price_min, "price_min"),
            "price_max": _decimal(price_max, "price_max"),
        }.items()
        if value is not None
    }
    new = pricing.NewRule(
        rule_type=rule_type,
        params=_params(param or []),
        conditions=conditions,
        integration_id=_integration_id(integration) if integration else None,
        name=name,
        priority=priority,
    )
    with session_scope() as session:
        rule = pricing.add_rule(session, get_plugin_manager(), new)
    if as_json:
        print_json(asdict(rule))
        return
    console.print(f"rule {rule.id} added")


@app.command("list")
def rules_list(
    integration: str | None = typer.Option(
        None, "--integration", help="Its rules and global ones (default: all)."
    ),
    as_json: bool = JSON,
) -> None:
    """Rules in the order they are tried (priority, then id); the first match wins."""
    iid = _integration_id(integration) if integration else None
    with session_scope() as session:
        rules = pricing.list_rules(session, iid)
    if as_json:
        print_json([asdict(r) for r in rules])
        return
    print_table(
        "Price rules (first match wins)",
        ["id", "priority", "type", "name", "integration", "conditions", "params"],
        [
            (r.id, r.priority, r.rule_type, r.name, r.integration or "all", r.conditions, r.params)
            for r in rules
        ],
    )


@app.command("remove")
def rules_remove(rule_id: int = typer.Argument(..., callback=validate.db_id)) -> None:
    """Delete a rule."""
    with session_scope() as session:
        pricing.remove_rule(session, rule_id)
    console.print(f"rule {rule_id} removed")


def _switch(integration: str, on: bool) -> None:
    iid = _integration_id(integration)
    with session_scope() as session:
        pricing.configure(session, iid, rules_enabled=on)
    console.print(f"price rules {'on' if on else 'off (prices = RRP)'} for {integration}")


@app.command("on")
def rules_on(integration: str = TARGET) -> None:
    """Let rules set the integration's prices."""
    _switch(integration, True)


@app.command("off")
def rules_off(integration: str = TARGET) -> None:
    """Price the integration at RRP (the floor still applies)."""
    _switch(integration, False)


@app.command("floor")
def rules_floor(
    integration: str = TARGET,
    commission: str | None = typer.Option(
        None, "--commission", help="Channel commission, percent.", callback=validate.commission
    ),
    shipping: str | None = typer.Option(
        None, "--shipping", help="Shipping cost counted in the floor.", callback=validate.money
    ),
) -> None:
    """Set the floor's inputs: floor = (cost + shipping) / (1 - commission%)."""
    commission_percent, floor_shipping = _decimal(commission, "commission"), _decimal(shipping, "shipping")
    iid = _integration_id(integration)
    with session_scope() as session:
        config = pricing.configure(
            session, iid, commission_percent=commission_percent, floor_shipping=floor_shipping
        )
    console.print(
        f"floor for {integration}: commission {config.commission_percent}%, shipping {config.floor_shipping}"
    )


@app.command("preview")
def rules_preview(
    integration: str = TARGET,
    limit: int | None = typer.Option(None, "--limit", help="Show at most this many changes."),
    as_json: bool = JSON,
) -> None:
    """Old price, new price and the rule for each affected product; changes nothing."""
    iid = _integration_id(integration)
    with session_scope() as session:
        result = pricing.preview(session, get_plugin_manager(), iid, limit=limit)
        session.rollback()
    rows = [
        {
            "channel_sku": c.channel_sku,
            "old_price": None if c.old_price is None else str(c.old_price),
            "new_price": str(c.new_price),
            "currency": c.currency,
            "rule_id": c.rule_id,
            "floored": c.floored,
            "why": c.explanation,
        }
        for c in result.changes
    ]
    if as_json:
        print_json(
            {
                **integration_ref(iid, integration),
                "rules_enabled": result.rules_enabled,
                "change_count": result.total,
                "changes": rows,
            }
        )
        return
    print_table(
        f"Price preview for {integration} (rules {'on' if result.rules_enabled else 'off: RRP'}): "
        f"{result.total} change(s)",
        ["sku", "old", "new", "why"],
        [(r["channel_sku"], r["old_price"], f"{r['new_price']} {r['currency']}", r["why"]) for r in rows],
    )


@app.command("apply")
def rules_apply(integration: str = TARGET) -> None:
    """Queue the previewed prices as outbox price updates."""
    iid = _integration_id(integration)
    with session_scope() as session:
        count = pricing.apply(session, get_plugin_manager(), iid)
    console.print(f"{count} price update(s) queued for {integration}")
