"""Two pricing plugins side by side: bigbuy_mip's rule types and the pip-installed charm example.

Core owns the rules: both plugins' rules are added, listed, previewed and applied through the
same ``channelhub rules`` commands, tried in one priority order (a charm rule of priority 1 beats
a bigbuy rule of priority 5), and the floor holds over either.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import pytest
from charm_pricing_channelhub import plugin as charm
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from core.cli.main import build_app
from core.db.models import Integration, Listing, OutboxEntry, OutboxKind, PriceRule, Product
from core.dto import PriceRuleSpec, PricingInput
from core.errors import InputError
from core.plugins import PluginManager
from core.services import pricing
from core.testing import PricingHarness, pricing_conformance

D = Decimal
runner = CliRunner()


class CharmHarness(PricingHarness):
    plugin = charm

    def rules(self) -> Sequence[PriceRuleSpec]:
        return [PriceRuleSpec(1, "charm", 10, {}, {"ending": "0.95", "markup_percent": "10"})]

    def products(self) -> Sequence[PricingInput]:
        return [
            PricingInput("A", 1, "EUR", D("20.00"), D("4.00")),
            PricingInput("B", 1, "EUR", None, D("4.00"), current_price=D("9.00")),
        ]

    def bad_params(self) -> Mapping[str, Sequence[Mapping[str, object]]]:
        return {"charm": [{"ending": "0.49"}, {"markup_percent": "lots"}]}


TestCharmThroughCore = pricing_conformance(harness=CharmHarness)


@pytest.fixture
def shop(session: Session) -> Integration:
    row = Integration(channel_key="fake", marketplace="XX", alias="shop-es", settings={})
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def listing(session: Session, shop: Integration) -> Callable[..., None]:
    def make(sku: str, category: str, brand: str, rrp: str, cost: str | None) -> None:
        product = Product(
            sku=sku,
            rrp=D(rrp),
            cost=None if cost is None else D(cost),
            currency="EUR",
            category=category,
            brand=brand,
        )
        session.add(product)
        session.flush()
        session.add(
            Listing(
                product_id=product.id,
                integration_id=shop.id,
                channel_sku=sku,
                currency="EUR",
                channel_price=D(rrp),
            )
        )
        session.commit()

    return make


def _ok(app: object, *args: str) -> str:
    result = runner.invoke(app, list(args))  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    return result.stdout


def test_both_plugins_rules_in_one_cli(
    session: Session, plugins: PluginManager, shop: Integration, listing: Callable[..., None]
) -> None:
    types = plugins.price_rule_types()
    assert {"percent", "margin", "charm"} <= set(types), (
        "the charm example is not installed: pip install -e examples/channelhub-charm-pricing"
    )
    app = build_app(plugins)
    listing("BB-1", "Toys", "Acme", "20.00", "5")
    listing("MUG-1", "Garden", "Acme", "12.00", None)
    listing("LOW-1", "Garden", "Acme", "10.00", "9.00")  # charm gives 9.95, the floor is 10.59
    listing("CC-1", "Toys", "Charmco", "40.00", None)
    shown = {t["key"] for t in json.loads(_ok(app, "rules", "types", "--json"))}
    assert {"percent", "charm"} <= shown

    _ok(app, "rules", "add", "percent", "--integration", "shop-es", "--category", "toys",
        "--param", "percent=10", "--param", "rounding=0.99", "--priority", "5")  # fmt: skip
    _ok(app, "rules", "add", "charm", "--param", "ending=0.95", "--priority", "10")
    _ok(app, "rules", "add", "charm", "--brand", "charmco", "--priority", "1", "--name", "Charmco .99")
    listed = json.loads(_ok(app, "rules", "list", "--integration", "shop-es", "--json"))
    assert [(r["id"], r["rule_type"], r["integration"]) for r in listed] == [
        (3, "charm", None),
        (1, "percent", "shop-es"),
        (2, "charm", None),
    ]
    assert listed[0]["params"] == {} and listed[1]["params"] == {"percent": "10", "rounding": "0.99"}

    _ok(app, "rules", "on", "--integration", "shop-es")
    preview = json.loads(_ok(app, "rules", "preview", "--integration", "shop-es", "--json"))
    rows = {c["channel_sku"]: (c["new_price"], c["rule_id"], c["floored"]) for c in preview["changes"]}
    assert rows == {
        "BB-1": ("22.99", 1, False),  # bigbuy percent: 22.00 up to .99
        "MUG-1": ("11.95", 2, False),  # charm: 12.00 down to .95
        "LOW-1": ("10.95", 2, True),  # floor 9 / 0.85 = 10.59, moved up to charm's .95
        "CC-1": ("39.99", 3, False),  # charm priority 1 beats the bigbuy rule of priority 5
    }
    assert preview["change_count"] == 4 and session.scalar(select(OutboxEntry.id)) is None

    assert "4 price update(s)" in _ok(app, "rules", "apply", "--integration", "shop-es")
    session.expire_all()
    queued = {
        r.sku: (r.price, r.currency)
        for r in session.scalars(select(OutboxEntry).where(OutboxEntry.kind == OutboxKind.PRICE))
    }
    assert queued == {sku: (D(price), "EUR") for sku, (price, _, _) in rows.items()}


def test_bad_charm_params_name_the_field_and_store_nothing(
    session: Session, plugins: PluginManager, shop: Integration
) -> None:
    app = build_app(plugins)
    result = runner.invoke(app, ["rules", "add", "charm", "--param", "ending=0.50"])
    assert isinstance(result.exception, InputError) and result.exception.field == "params.ending"
    assert session.scalar(select(PriceRule.id)) is None


def test_rule_of_an_uninstalled_plugin_is_named_not_skipped(
    session: Session, plugins: PluginManager, shop: Integration
) -> None:
    session.add(PriceRule(name="old", rule_type="competitor_match", priority=1, conditions={}, params={}))
    pricing.configure(session, shop.id, rules_enabled=True)
    with pytest.raises(InputError, match=r"competitor_match.*no installed plugin provides"):
        pricing.preview(session, plugins, shop.id)
