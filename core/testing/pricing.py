"""The pricing conformance suite: what core relies on from price-rule plugins.

Usage::

    class TestMyRules(pricing_conformance(harness=MyRulesHarness)):
        pass
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal

from pydantic import BaseModel, ValidationError

from core.dto import PriceDecision, PriceRuleSpec, PricingInput
from core.plugins import PluginManager
from core.services import pricing
from core.testing.harness import PricingHarness
from core.testing.suite import build_suite, check, contract, fail, no_failures, single_plugin_manager
from core.types import PriceFormula, PriceRuleType

EDGE_AMOUNTS = (None, Decimal("0"), Decimal("0.01"), Decimal("99999.99"))
"""RRP and cost values every rule must survive without a negative or failing price."""


def _types(h: PricingHarness, name: str) -> tuple[PluginManager, dict[str, PriceRuleType]]:
    manager = single_plugin_manager(h.plugin)
    types = manager.price_rule_types()
    no_failures(manager, name)
    check(types, name, "channelhub_price_rule_types registered no rule type")
    return manager, types


def _edge_products(h: PricingHarness) -> Iterator[PricingInput]:
    for product in h.products():
        yield product
        for rrp in EDGE_AMOUNTS:
            for cost in EDGE_AMOUNTS:
                yield replace(product, rrp=rrp, cost=cost)


def _decide(
    manager: PluginManager, product: PricingInput, h: PricingHarness, name: str
) -> PriceDecision | None:
    """The price core's engine gives ``product`` with the harness's rules (compiled by the plugin)."""
    try:
        return pricing.decide(manager, product, list(h.rules()))
    except Exception as exc:
        fail(
            name,
            f"pricing {product.sku} (rrp={product.rrp}, cost={product.cost}) raised "
            f"{type(exc).__name__} ({exc}): a formula returns a Decimal, or None when it cannot price "
            "a product",
        )


class _ForeignParams(BaseModel):
    """Parameters of a rule type another plugin owns."""

    percent: Decimal = Decimal(1)


class PricingConformance:
    """Base of the class :func:`pricing_conformance` builds. One method per contract."""

    @contract("registration")
    def test_registration(self, channelhub_harness: PricingHarness) -> None:
        """Rule types have a key, a name and a pydantic params model; the harness's rules fit them."""
        h, name = channelhub_harness, "registration"
        _, types = _types(h, name)
        for key, rule_type in types.items():
            check(key and rule_type.name, name, f"price rule type {key!r} needs a key and a name")
            check(
                isinstance(rule_type.params_model, type) and issubclass(rule_type.params_model, BaseModel),
                name,
                f"price rule type {key!r}: params_model must be a pydantic BaseModel subclass",
            )
        for rule in h.rules():
            check(
                rule.rule_type in types,
                name,
                f"harness rule {rule.rule_id} has unregistered type {rule.rule_type!r}",
            )
            try:
                types[rule.rule_type].params_model.model_validate(rule.params)
            except ValidationError as exc:
                fail(name, f"harness rule {rule.rule_id} has params its own type rejects: {exc}")

    @contract("params_validation")
    def test_params_validation(self, channelhub_harness: PricingHarness) -> None:
        """Bad parameters are rejected with an error that names the field."""
        h, name = channelhub_harness, "params_validation"
        _, types = _types(h, name)
        bad = h.bad_params()
        untested = sorted(set(types) - set(bad))
        check(not untested, name, f"harness.bad_params() gives no bad parameters for rule type(s) {untested}")
        for key, samples in bad.items():
            check(key in types, name, f"harness.bad_params() names unregistered rule type {key!r}")
            for params in samples:
                try:
                    types[key].params_model.model_validate(dict(params))
                except ValidationError as exc:
                    unnamed = [e["msg"] for e in exc.errors() if not e["loc"]]
                    if unnamed:
                        fail(
                            name,
                            f"rule type {key!r} rejected {dict(params)} without naming the field: "
                            f"{unnamed[0]}; validate per field so the error names it",
                        )
                    continue
                fail(
                    name,
                    f"rule type {key!r} accepted bad params {dict(params)}: "
                    "add constraints to its params_model",
                )

    @contract("foreign_rules")
    def test_foreign_rules(self, channelhub_harness: PricingHarness) -> None:
        """Rules of another plugin's types are left to it: channelhub_price_formula returns None."""
        h, name = channelhub_harness, "foreign_rules"
        manager, types = _types(h, name)
        foreign = PriceRuleSpec(99_999, "__another_plugins_type__", 1, {}, {"percent": "1"})
        check(
            manager.price_formula(foreign, _ForeignParams()) is None,
            name,
            "channelhub_price_formula compiled a rule of a type it did not register: return None "
            "unless rule.rule_type is one of yours, so other pricing plugins' rules keep working",
        )
        for rule in h.rules():
            params = types[rule.rule_type].params_model.model_validate(rule.params)
            check(
                isinstance(manager.price_formula(rule, params), PriceFormula),
                name,
                f"channelhub_price_formula returned no PriceFormula for harness rule {rule.rule_id} "
                f"({rule.rule_type!r})",
            )

    @contract("price_typed")
    def test_price_typed(self, channelhub_harness: PricingHarness) -> None:
        """Decisions are PriceDecision with Decimal Money in the product's currency, never negative."""
        h, name = channelhub_harness, "price_typed"
        manager, _ = _types(h, name)
        rule_ids = {r.rule_id for r in h.rules()}
        decided = 0
        for product in _edge_products(h):
            decision = _decide(manager, product, h, name)
            if decision is None:
                continue
            decided += 1
            where = f"price for {product.sku} (rrp={product.rrp}, cost={product.cost})"
            check(isinstance(decision.price.amount, Decimal), name, f"{where}: amount must be a Decimal")
            check(
                decision.price.currency == product.currency,
                name,
                f"{where} is in {decision.price.currency}, the product is priced in {product.currency}: "
                "never convert currencies",
            )
            check(decision.price.amount >= 0, name, f"{where} is negative ({decision.price}): floor it at 0")
            check(
                decision.rule_id is None or decision.rule_id in rule_ids,
                name,
                f"{where}: rule_id {decision.rule_id} is not one of the rules passed in",
            )
            check(decision.explanation, name, f"{where}: explanation must say why (shown in the preview)")
        check(decided, name, "no harness product got a price: harness.products() must include priceable ones")

    @contract("deterministic")
    def test_deterministic(self, channelhub_harness: PricingHarness) -> None:
        """Same product and rules, same decision; the inputs are left untouched (previews are pure)."""
        h, name = channelhub_harness, "deterministic"
        manager, _ = _types(h, name)
        for product in h.products():
            rules = list(h.rules())
            snapshot = copy.deepcopy(rules)
            first = pricing.decide(manager, product, rules)
            second = pricing.decide(manager, product, copy.deepcopy(snapshot))
            check(first == second, name, f"pricing gave {first} then {second} for {product.sku}")
            check(rules == snapshot, name, f"pricing changed the rules it was given for {product.sku}")


def pricing_conformance(
    *,
    harness: type[PricingHarness] | Callable[[], PricingHarness],
    skip: Mapping[str, str] | None = None,
) -> type:
    """A test base class checking every pricing contract against ``harness``."""
    return build_suite(PricingConformance, "pricing", harness, PricingHarness, skip)
