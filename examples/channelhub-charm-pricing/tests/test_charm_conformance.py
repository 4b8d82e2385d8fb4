"""Charm pricing passes channelhub's pricing conformance suite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from charm_pricing_channelhub import plugin

from core.api import PriceRuleSpec, PricingInput
from core.testing import PricingHarness, pricing_conformance


class CharmHarness(PricingHarness):
    plugin = plugin

    def rules(self) -> Sequence[PriceRuleSpec]:
        return [
            PriceRuleSpec(1, "charm", 10, {"brands": ["Acme"]}, {"ending": "0.95"}),
            PriceRuleSpec(2, "charm", 20, {}, {"base": "current", "markup_percent": "5"}),
        ]

    def products(self) -> Sequence[PricingInput]:
        return [
            PricingInput("ACME-1", 1, "GBP", Decimal("20.00"), Decimal("8.00"), brand="Acme"),
            PricingInput("MUG-1", 1, "GBP", Decimal("12.00"), None, current_price=Decimal("11.40")),
            PricingInput("NO-PRICE", 1, "GBP", None, Decimal("3.00")),
        ]

    def bad_params(self) -> Mapping[str, Sequence[Mapping[str, object]]]:
        return {"charm": [{"ending": "0.50"}, {"markup_percent": "-95"}, {"base": "cost"}, {"colour": "red"}]}


TestCharmPricing = pricing_conformance(harness=CharmHarness)
