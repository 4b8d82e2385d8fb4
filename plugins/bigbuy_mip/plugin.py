"""Hook implementations of the BigBuy MIP plugin: carriers per region, fee tables, price rules
(registered by entry point ``bigbuy_mip``).

Everything else in the package is reached from here: core only calls these hooks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy.orm import Session

from core.dto import (
    CarrierContext,
    CarrierDecision,
    Money,
    PriceDecision,
    PriceRuleSpec,
    PricingInput,
    RateQuote,
    RateRequest,
)
from core.hookspecs import hookimpl
from core.types import Carrier, CliGroup, MigrationLocation, PriceRuleType
from plugins.bigbuy_mip.catalogue import get_catalogue
from plugins.bigbuy_mip.models import DEFAULT_COMMISSION_PERCENT, CarrierStrategy
from plugins.bigbuy_mip.options import strategies
from plugins.bigbuy_mip.pricing import RULE_TYPES, PricingEngine

BRANCH = "bigbuy_mip"


@hookimpl
def channelhub_carriers() -> Iterator[Carrier]:
    yield from get_catalogue().registered_carriers()


STRATEGY = "bigbuy_mip.carrier_strategy"
"""The key of an integration's carrier strategy in the carrier hooks' ``CarrierContext``."""


@hookimpl
def channelhub_carrier_options(
    session: Session, integration_ids: Sequence[int]
) -> dict[int, dict[str, object]]:
    """Each integration's carrier strategy, for a whole selection batch in one query."""
    return {i: {STRATEGY: strategy} for i, strategy in strategies(session, integration_ids).items()}


@hookimpl
def channelhub_quote_rates(request: RateRequest) -> list[RateQuote]:
    return get_catalogue().quotes(request.destination, request.weight_kg)


def choose(candidates: Sequence[RateQuote], strategy: CarrierStrategy) -> RateQuote:
    """Cheapest: lowest price, then fastest, then code. Fastest: fewest days, then price, then code."""
    if strategy == CarrierStrategy.FASTEST:
        return min(candidates, key=lambda q: (q.transit_days, q.price.amount, q.carrier_code, q.service_code))
    return min(candidates, key=lambda q: (q.price.amount, q.transit_days, q.carrier_code, q.service_code))


@hookimpl
def channelhub_select_carrier(
    request: RateRequest, candidates: Sequence[RateQuote], context: CarrierContext
) -> CarrierDecision | None:
    ours = [q for q in candidates if q.carrier_code in get_catalogue().carriers]
    if not ours:
        return None
    stored = context.option(request.integration_id, STRATEGY)
    strategy = stored if isinstance(stored, CarrierStrategy) else CarrierStrategy.CHEAPEST
    best = choose(ours, strategy)
    return CarrierDecision(
        best.carrier_code,
        best.service_code,
        f"{strategy.value}: {best.price} in {best.transit_days} day(s) to {best.area_code}",
    )


@hookimpl
def channelhub_price_rule_types() -> Iterator[PriceRuleType]:
    yield from RULE_TYPES.values()


def _extra_decimal(product: PricingInput, key: str, default: Decimal) -> Decimal:
    try:
        return Decimal(product.extra[key]) if key in product.extra else default
    except InvalidOperation:
        return default


@hookimpl
def channelhub_compute_price(product: PricingInput, rules: Sequence[PriceRuleSpec]) -> PriceDecision | None:
    """Price one product (first matching rule, rounding, floor; see ``pricing``).

    Pure: the floor's inputs come from ``product.extra`` (``commission_percent``,
    ``floor_shipping``), defaulting to 15 % and 0. Bulk callers use ``PricingEngine`` directly.
    """
    engine = PricingEngine(
        rules,
        commission_percent=_extra_decimal(product, "commission_percent", DEFAULT_COMMISSION_PERCENT),
        floor_shipping=_extra_decimal(product, "floor_shipping", Decimal(0)),
    )
    result = engine.price(product.sku, product.category, product.brand, product.rrp, product.cost)
    if result.price is None:
        return None
    return PriceDecision(Money(result.price, product.currency), result.rule_id, result.explanation)


@hookimpl
def channelhub_migrations() -> Iterator[MigrationLocation]:
    yield MigrationLocation(BRANCH, Path(__file__).parent / "migrations" / "versions")


@hookimpl
def channelhub_cli() -> Iterator[CliGroup]:
    from plugins.bigbuy_mip import cli

    yield from cli.groups()
