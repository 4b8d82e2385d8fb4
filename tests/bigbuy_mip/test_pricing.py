"""BigBuy rule types on core's pricing: precedence, rounding, the floor, preview vs apply, the CLI."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from core.cli.main import build_app
from core.db.models import Integration, OutboxEntry, OutboxKind, PriceRule
from core.dto import PriceRuleSpec, PricingInput
from core.errors import InputError
from core.plugins import PluginManager, build_plugin_manager
from core.services import pricing
from core.services.price_engine import PriceEngine, floor_price
from plugins.bigbuy_mip.pricing import round_up_to

D = Decimal
runner = CliRunner()
PLUGINS = build_plugin_manager()  # entry points only: read once for the pure engine tests


def engine(*rules: PriceRuleSpec, commission: str = "15", shipping: str = "0") -> PriceEngine:
    return PriceEngine(rules, PLUGINS, commission_percent=D(commission), floor_shipping=D(shipping))


def item(
    sku: str, category: str | None, brand: str | None, rrp: Decimal | None, cost: Decimal | None
) -> PricingInput:
    return PricingInput(sku, 1, "EUR", rrp, cost, category=category, brand=brand)


@pytest.mark.parametrize(
    ("price", "mode", "expected"),
    [
        ("12.30", "0.99", "12.99"),
        ("12.99", "0.99", "12.99"),
        ("12.00", "0.99", "12.99"),
        ("12.30", "0.49", "12.49"),
        ("12.50", "0.49", "13.49"),
        ("12.01", "whole", "13.00"),
        ("12.00", "whole", "12.00"),
        ("12.34", "none", "12.34"),
    ],
)
def test_rounding_goes_up_to_the_ending(price: str, mode: str, expected: str) -> None:
    assert round_up_to(D(price), mode) == D(expected)


def test_first_matching_rule_by_priority_wins_without_stacking() -> None:
    toys = PriceRuleSpec(1, "percent", 20, {"categories": ["Toys"]}, {"percent": "10"})
    brand = PriceRuleSpec(2, "fixed", 10, {"brands": ["Acme"]}, {"amount": "-2"})
    anything = PriceRuleSpec(3, "percent", 30, {}, {"percent": "50"})
    e = engine(toys, brand, anything, commission="0")
    assert e.price(item("S1", "toys", "acme", D("20"), D("1"))).rule_id == 2  # priority 10 beats 20
    assert e.price(item("S1", "Toys", "other", D("20"), D("1"))).price == D("22.00")
    assert e.price(item("S1", "garden", "other", D("20"), D("1"))).price == D("30.00")


def test_conditions_on_sku_pattern_and_price_range() -> None:
    e = engine(
        PriceRuleSpec(
            1, "percent", 1, {"sku_pattern": "BB-*", "price_min": "10", "price_max": "50"}, {"percent": "-10"}
        ),
        commission="0",
    )
    assert e.price(item("BB-1", None, None, D("20"), None)).rule_id == 1
    assert e.price(item("XX-1", None, None, D("20"), None)).rule_id is None
    assert e.price(item("BB-1", None, None, D("60"), None)).explanation == "RRP"


def test_margin_and_profit_strategies_need_a_cost() -> None:
    margin = PriceRuleSpec(1, "margin", 1, {}, {"percent": "30", "tax_percent": "21"})
    profit = PriceRuleSpec(2, "profit", 2, {}, {"percent": "20"})
    e = engine(margin, commission="0")
    assert e.price(item("A", None, None, D("99"), D("10"))).price == D("15.73")  # 10 * 1.3 * 1.21
    assert e.price(item("A", None, None, D("99"), None)).explanation == "RRP"  # skipped: no cost
    assert engine(profit, commission="0").price(item("A", None, None, None, D("10"))).price == D("12.50")


def test_floor_wins_over_any_rule_and_rounding_keeps_it() -> None:
    cheap = PriceRuleSpec(1, "percent", 1, {}, {"percent": "-90", "rounding": "0.99"})
    result = engine(cheap, commission="15", shipping="4").price(item("A", None, None, D("20"), D("10")))
    assert floor_price(D("10"), D("15"), D("4")) == D("16.48")  # 14 / 0.85, up to the cent
    assert (result.price, result.floor) == (D("16.99"), D("16.48"))
    assert "floor" in result.explanation
    rrp_below_cost = engine(commission="0").price(item("A", None, None, D("5"), D("8")))
    assert rrp_below_cost.price == D("8.00")


def test_bad_rule_input_names_the_field_and_stores_nothing(
    session: Session, plugins: PluginManager, integration: Integration
) -> None:
    bad = [
        (pricing.NewRule("percent", {"percent": "lots"}), r"params\.percent"),
        (pricing.NewRule("percent", {"percent": "1"}, {"price_min": "-1"}), r"conditions\.price_min"),
        (pricing.NewRule("percent", {"percent": "1", "colour": "red"}), r"params\.colour"),
        (pricing.NewRule("nope"), "rule_type"),
        (pricing.NewRule("percent", {"percent": "1"}, priority=-1), "priority"),
    ]
    for new, field in bad:
        with pytest.raises(InputError, match=field):
            pricing.add_rule(session, plugins, new)
    assert session.scalar(select(PriceRule.id)) is None


def test_one_product_priced_through_the_plugin_manager(plugins: PluginManager) -> None:
    product = PricingInput("A", 1, "EUR", rrp=D("20"), cost=D("10"))
    rule = PriceRuleSpec(7, "percent", 1, {}, {"percent": "10", "rounding": "whole"})
    decision = pricing.decide(plugins, product, [rule], commission_percent=D(0))
    assert decision is not None and (decision.price.amount, decision.price.currency, decision.rule_id) == (
        D("22.00"),
        "EUR",
        7,
    )
    floored = pricing.decide(plugins, PricingInput("A", 1, "EUR", rrp=D("5"), cost=D("8.50")), [])
    assert floored is not None and floored.price.amount == D("10.00")  # 8.50 / 0.85 with the 15 % default


prices = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
rule_specs = st.lists(
    st.one_of(
        st.builds(
            lambda p, r: ("percent", {"percent": str(p), "rounding": r}),
            st.decimals(min_value=-95, max_value=300, places=1),
            st.sampled_from(["none", "0.99", "0.49", "whole"]),
        ),
        st.builds(
            lambda a: ("fixed", {"amount": str(a)}), st.decimals(min_value=-500, max_value=500, places=2)
        ),
        st.builds(
            lambda p: ("margin", {"percent": str(p)}), st.decimals(min_value=0, max_value=200, places=1)
        ),
        st.builds(
            lambda p: ("profit", {"percent": str(p)}), st.decimals(min_value=0, max_value=90, places=1)
        ),
    ),
    max_size=4,
)


@given(
    rules=rule_specs,
    rrp=st.none() | prices,
    cost=prices,
    commission=st.decimals(min_value=0, max_value=60, places=1),
    shipping=st.decimals(min_value=0, max_value=20, places=2),
)
def test_no_computed_price_is_below_the_floor(rules, rrp, cost, commission, shipping) -> None:  # type: ignore[no-untyped-def]
    specs = [PriceRuleSpec(i + 1, kind, i, {}, params) for i, (kind, params) in enumerate(rules)]
    e = PriceEngine(specs, PLUGINS, commission_percent=commission, floor_shipping=shipping)
    result = e.price(item("SKU", None, None, rrp, cost))
    floor = floor_price(cost, commission, shipping)
    assert floor is not None
    if result.price is None:  # nothing to price from: no RRP and no rule could compute one
        assert rrp is None
        return
    assert result.price >= floor
    assert result.price == result.price.quantize(D("0.01"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    products=st.lists(
        st.tuples(st.none() | prices, st.none() | prices, st.none() | prices), min_size=1, max_size=6
    ),
    percent=st.decimals(min_value=-50, max_value=100, places=0),
    rules_on=st.booleans(),
)
def test_preview_and_apply_agree(
    session: Session, plugins: PluginManager, integration: Integration, products, percent, rules_on
) -> None:  # type: ignore[no-untyped-def]
    from core.db.models import Listing, Product

    session.execute(delete(OutboxEntry))
    session.execute(delete(Listing))
    session.execute(delete(Product))
    session.execute(delete(PriceRule))
    for i, (rrp, cost, old) in enumerate(products):
        product = Product(sku=f"H-{i}", rrp=rrp, cost=cost, currency="EUR")
        session.add(product)
        session.flush()
        session.add(
            Listing(
                product_id=product.id,
                integration_id=integration.id,
                channel_sku=f"H-{i}",
                currency="EUR",
                channel_price=old,
            )
        )
    session.add(
        PriceRule(
            integration_id=integration.id,
            name="p",
            rule_type="percent",
            priority=1,
            enabled=True,
            conditions={},
            params={"percent": str(percent), "rounding": "0.99"},
        )
    )
    pricing.configure(session, integration.id, rules_enabled=rules_on)
    shown = pricing.preview(session, plugins, integration.id)
    preview = {(c.channel_sku, c.new_price, c.currency) for c in shown.changes}
    written = pricing.apply(session, plugins, integration.id)
    rows = session.scalars(select(OutboxEntry).where(OutboxEntry.kind == OutboxKind.PRICE))
    applied = {(r.sku, r.price, r.currency) for r in rows}
    assert written == len(preview) == shown.total and applied == preview
    session.rollback()


def test_rules_cli_add_list_preview_apply_and_off(
    session: Session, plugins: PluginManager, integration: Integration, make_listing
) -> None:
    app = build_app(plugins)
    make_listing("BB-1", "20.00", "5", category="Toys", price="20.00")
    make_listing("BB-2", "30.00", None, category="Garden", price="30.00")
    added = runner.invoke(
        app,
        [
            "rules",
            "add",
            "percent",
            "--integration",
            "shop-es",
            "--param",
            "percent=10",
            "--param",
            "rounding=0.99",
            "--category",
            "toys",
            "--priority",
            "5",
        ],
    )
    assert added.exit_code == 0, added.output
    bad = runner.invoke(app, ["rules", "add", "percent", "--param", "percent=abc"])
    assert (
        isinstance(bad.exception, InputError)
        and session.scalar(select(PriceRule.id).where(PriceRule.id == 2)) is None
    )
    assert "first match" in runner.invoke(app, ["rules", "--help"]).output

    off = json.loads(runner.invoke(app, ["rules", "preview", "--integration", "shop-es", "--json"]).stdout)
    assert off == {
        "integration": "shop-es",
        "integration_id": 1,
        "rules_enabled": False,
        "change_count": 0,
        "changes": [],
    }  # RRP equals the channel price already
    runner.invoke(app, ["rules", "on", "--integration", "shop-es"])
    on = json.loads(runner.invoke(app, ["rules", "preview", "--integration", "shop-es", "--json"]).stdout)
    assert [(c["channel_sku"], c["old_price"], c["new_price"], c["rule_id"]) for c in on["changes"]] == [
        ("BB-1", "20.0000", "22.99", 1)
    ]
    assert session.scalar(select(OutboxEntry.id)) is None  # preview changed nothing

    applied = runner.invoke(app, ["rules", "apply", "--integration", "shop-es"])
    assert "1 price update(s)" in applied.output
    (row,) = session.scalars(select(OutboxEntry))
    assert (row.kind, row.sku, row.price, row.currency) == (OutboxKind.PRICE, "BB-1", D("22.99"), "EUR")

    listed = json.loads(runner.invoke(app, ["rules", "list", "--json"]).stdout)
    assert [r["id"] for r in listed] == [1]
    runner.invoke(app, ["rules", "remove", "1"])
    assert json.loads(runner.invoke(app, ["rules", "list", "--json"]).stdout) == []
