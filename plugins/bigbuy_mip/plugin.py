"""Hook implementations of the BigBuy MIP plugin: carriers per region, fee tables, price rules
(registered by entry point ``bigbuy_mip``).

Everything else in the package is reached from here: core only calls these hooks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.api import (
    Carrier,
    CarrierContext,
    CarrierDecision,
    CliGroup,
    Destination,
    FeeTable,
    MigrationLocation,
    Money,
    PriceFormula,
    PriceRuleSpec,
    PriceRuleType,
    RateQuote,
    RateRequest,
    ShippingFee,
    StrategySetting,
    hookimpl,
)
from plugins.bigbuy_mip import pricing
from plugins.bigbuy_mip.catalogue import Catalogue, get_catalogue
from plugins.bigbuy_mip.models import CarrierStrategy
from plugins.bigbuy_mip.options import set_strategy, strategies

BRANCH = "bigbuy_mip"


@hookimpl
def channelhub_carriers() -> Iterator[Carrier]:
    yield from get_catalogue().registered_carriers()


STRATEGY = "bigbuy_mip.carrier_strategy"
"""The key of an integration's carrier strategy in the carrier hooks' ``CarrierContext``."""

CATALOGUE = "bigbuy_mip.catalogue"
"""The key of the catalogue read for a selection batch: one file check per batch, not two per order."""


@hookimpl
def channelhub_carrier_options(
    session: Session, integration_ids: Sequence[int]
) -> dict[int, dict[str, object]]:
    """Each integration's carrier strategy (one query) and the catalogue, for a whole selection batch."""
    catalogue = get_catalogue()
    stored = strategies(session, integration_ids)
    return {
        i: {CATALOGUE: catalogue, **({STRATEGY: stored[i]} if i in stored else {})} for i in integration_ids
    }


def _catalogue(context: CarrierContext, integration_id: int) -> Catalogue:
    """The batch's catalogue from the context; read now when called outside a batch."""
    found = context.option(integration_id, CATALOGUE)
    return found if isinstance(found, Catalogue) else get_catalogue()


@hookimpl
def channelhub_carrier_area(carrier_code: str, destination: Destination) -> str | None:
    return get_catalogue().carrier_area(carrier_code, destination)


@hookimpl
def channelhub_quote_rates(request: RateRequest, context: CarrierContext) -> list[RateQuote]:
    return _catalogue(context, request.integration_id).quotes(request.destination, request.weight_kg)


def choose(candidates: Sequence[RateQuote], strategy: CarrierStrategy) -> RateQuote:
    """Cheapest: lowest price, then fastest, then code. Fastest: fewest days, then price, then code."""
    if strategy == CarrierStrategy.FASTEST:
        return min(candidates, key=lambda q: (q.transit_days, q.price.amount, q.carrier_code, q.service_code))
    return min(candidates, key=lambda q: (q.price.amount, q.transit_days, q.carrier_code, q.service_code))


@hookimpl
def channelhub_select_carrier(
    request: RateRequest, candidates: Sequence[RateQuote], context: CarrierContext
) -> CarrierDecision | None:
    carriers = _catalogue(context, request.integration_id).carriers
    ours = [q for q in candidates if q.carrier_code in carriers]
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


def _store_strategy(session: Session, integration_id: int, value: str) -> None:
    set_strategy(session, integration_id, CarrierStrategy(value))


@hookimpl
def channelhub_shipping_fees(session: Session, integration_id: int) -> FeeTable:
    """Every band of the catalogue (the quotes' min and max), and the integration's carrier strategy."""
    catalogue = get_catalogue()
    fees = tuple(
        ShippingFee(
            area=area,
            carrier=carrier,
            service=band.service,
            band=band.label,
            basis=band.basis,
            max_kg=band.max_kg,
            min_price=Money(band.min_price, band.currency or catalogue.currency),
            max_price=Money(band.max_price, band.currency or catalogue.currency),
            transit_days=band.transit_days,
        )
        for area in catalogue.areas
        for carrier in catalogue.carriers_serving(area)
        for band in catalogue.bands(area, carrier)
    )
    current = strategies(session, [integration_id]).get(integration_id, CarrierStrategy.CHEAPEST)
    strategy = StrategySetting(
        key=STRATEGY,
        label="carrier strategy",
        current=current.value,
        choices=tuple(s.value for s in CarrierStrategy),
        store=_store_strategy,
        help="how an order picks among the enabled carriers that serve it: lowest fee or fewest days",
    )
    return FeeTable(fees, strategy)


@hookimpl
def channelhub_price_rule_types() -> Iterator[PriceRuleType]:
    yield from pricing.RULE_TYPES.values()


@hookimpl
def channelhub_price_formula(rule: PriceRuleSpec, params: BaseModel) -> PriceFormula | None:
    """Compile a rule of this plugin's types (see ``pricing``); None for other plugins' types."""
    return pricing.formula(params) if rule.rule_type in pricing.RULE_TYPES else None


@hookimpl
def channelhub_migrations() -> Iterator[MigrationLocation]:
    yield MigrationLocation(BRANCH, Path(__file__).parent / "migrations" / "versions")


@hookimpl
def channelhub_cli() -> Iterator[CliGroup]:
    from plugins.bigbuy_mip import cli

    yield from cli.groups()
