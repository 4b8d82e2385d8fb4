"""The ``charm`` price-rule type: a price just under a round number (19.99, not 20.00).

An admin adds it like any other rule (``channelhub rules add charm --param ending=0.95``);
core stores it, checks its conditions and priority against every other plugin's rules, and
calls :func:`channelhub_price_formula` to compile it. This plugin holds no table and no
command: it only says what the rule computes.

The price is the base (the RRP, or the price on the channel now with ``base=current``), plus
an optional ``markup_percent``, moved *down* to the nearest price with the chosen ending
(20.00 -> 19.99, 20.97 -> 20.95 with ``ending=0.95``). When the floor wins, core moves the
floor *up* to the same ending with :func:`up_to_ending`, so charm never prices below it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.api import PricedProduct, PriceFormula, PriceRuleSpec, PriceRuleType, hookimpl

RULE_TYPE = "charm"
ONE = Decimal(1)
HUNDRED = Decimal(100)


class CharmParams(BaseModel):
    """Parameters of a ``charm`` rule."""

    model_config = ConfigDict(extra="forbid")
    ending: Literal["0.99", "0.95"] = "0.99"
    base: Literal["rrp", "current"] = "rrp"
    markup_percent: Decimal = Field(default=Decimal(0), ge=-90, le=1000)


def down_to_ending(price: Decimal, ending: Decimal) -> Decimal:
    """The largest price <= ``price`` ending in ``ending``; under 1, the ending itself (0.99)."""
    candidate = price.to_integral_value(rounding=ROUND_FLOOR) + ending
    return candidate if candidate <= price or candidate < ONE else candidate - ONE


def up_to_ending(price: Decimal, ending: Decimal) -> Decimal:
    """The smallest price >= ``price`` ending in ``ending``."""
    candidate = price.to_integral_value(rounding=ROUND_FLOOR) + ending
    return candidate if candidate >= price else candidate + ONE


@hookimpl
def channelhub_price_rule_types() -> Iterator[PriceRuleType]:
    yield PriceRuleType(
        RULE_TYPE, "Charm pricing", "RRP (or current price) moved down to .99 or .95", CharmParams
    )


@hookimpl
def channelhub_price_formula(rule: PriceRuleSpec, params: BaseModel) -> PriceFormula | None:
    if rule.rule_type != RULE_TYPE or not isinstance(params, CharmParams):
        return None
    ending = Decimal(params.ending)
    factor = ONE + params.markup_percent / HUNDRED
    use_current = params.base == "current"

    def compute(product: PricedProduct) -> Decimal | None:
        base = product.current_price if use_current else product.rrp
        if base is None:
            return None
        return down_to_ending(base * factor, ending)

    return PriceFormula(compute, lambda price: up_to_ending(price, ending))
