"""The built-in bigbuy_mip plugin passes the carrier and pricing conformance suites."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from core.dto import CarrierContext, Destination, Money, PriceRuleSpec, PricingInput, RateRequest
from core.testing import CarrierHarness, PricingHarness, carrier_conformance, pricing_conformance
from plugins.bigbuy_mip import plugin
from plugins.bigbuy_mip.models import CarrierStrategy


def request(country: str, postcode: str, weight: str = "1.2") -> RateRequest:
    return RateRequest(
        order_id=1,
        integration_id=1,
        destination=Destination(country, postcode),
        weight_kg=Decimal(weight),
        order_total=Money(Decimal("30.00"), "EUR"),
    )


class BigBuyCarriers(CarrierHarness):
    plugin = plugin

    def requests(self) -> Sequence[RateRequest]:
        return [request("ES", "28001"), request("FR", "75001"), request("DE", "10115", "4.5")]

    def context(self) -> CarrierContext:
        return CarrierContext(options={1: {plugin.STRATEGY: CarrierStrategy.FASTEST}})

    def unserved_request(self) -> RateRequest:
        return request("AQ", "0000")  # Antarctica: no area of the catalogue


class BigBuyPricing(PricingHarness):
    plugin = plugin

    def rules(self) -> Sequence[PriceRuleSpec]:
        return [
            PriceRuleSpec(1, "percent", 10, {"brands": ["Acme"]}, {"percent": "-10", "rounding": "0.99"}),
            PriceRuleSpec(2, "margin", 20, {}, {"percent": "40", "tax_percent": "21"}),
        ]

    def products(self) -> Sequence[PricingInput]:
        return [
            PricingInput("ACME-1", 1, "EUR", Decimal("49.90"), Decimal("20.00"), brand="Acme"),
            PricingInput("OTHER-1", 1, "EUR", Decimal("15.00"), Decimal("6.10"), brand="Other"),
            PricingInput("NO-COST", 1, "EUR", Decimal("9.99"), None),
        ]

    def bad_params(self) -> Mapping[str, Sequence[Mapping[str, object]]]:
        return {
            "percent": [{"percent": "-150"}, {"percent": "x"}],
            "fixed": [{"amount": "1e9"}],
            "margin": [{"percent": "-1"}],
            "profit": [{"percent": "100"}],
        }


class TestBigBuyCarriers(carrier_conformance(harness=BigBuyCarriers)):
    pass


class TestBigBuyPricing(pricing_conformance(harness=BigBuyPricing)):
    pass
