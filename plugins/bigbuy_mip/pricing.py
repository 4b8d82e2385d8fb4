"""BigBuy's price-rule types: percent and fixed markups/markdowns, margin and profit strategies.

Core owns how rules are applied (priority, first match, conditions, RRP default, floor; see
:mod:`core.services.price_engine`). This module says what each of these types computes:

- ``percent`` / ``fixed``: the RRP (or the cost, ``base=cost``) plus or minus a percentage or an
  amount; skipped for a product without that base.
- ``margin``: cost + cost x percent, plus taxes; ``profit``: cost / (1 - percent), plus taxes.
  Both need a cost and are skipped for a product without one.

Every type takes ``rounding``: ``none``, ``0.99``, ``0.49`` or ``whole``, which moves the price
*up* to the next such ending (so rounding never lowers a price, nor takes it below the floor).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.api import PricedProduct, PriceFormula, PriceRuleType

CENT = Decimal("0.01")
ONE = Decimal(1)
HUNDRED = Decimal(100)

Rounding = Literal["none", "0.99", "0.49", "whole"]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rounding: Rounding = "none"


class PercentParams(_Params):
    """``percent`` > 0 marks up, < 0 marks down; applied to the RRP (or the cost)."""

    percent: Decimal = Field(gt=-100, le=10000)
    base: Literal["rrp", "cost"] = "rrp"


class FixedParams(_Params):
    """``amount`` > 0 adds, < 0 takes off; applied to the RRP (or the cost)."""

    amount: Decimal = Field(ge=-1_000_000, le=1_000_000)
    base: Literal["rrp", "cost"] = "rrp"


class MarginParams(_Params):
    """BigBuy's margin strategy: price = (cost + cost x percent) + taxes."""

    percent: Decimal = Field(ge=0, le=10000)
    tax_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)


class ProfitParams(_Params):
    """BigBuy's profit strategy: price = cost / (1 - percent) + taxes."""

    percent: Decimal = Field(ge=0, lt=100)
    tax_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)


RULE_TYPES: dict[str, PriceRuleType] = {
    t.key: t
    for t in (
        PriceRuleType(
            "percent", "Percent markup/markdown", "RRP (or cost) plus or minus a percentage", PercentParams
        ),
        PriceRuleType("fixed", "Fixed markup/markdown", "RRP (or cost) plus or minus an amount", FixedParams),
        PriceRuleType("margin", "BigBuy margin", "cost + cost x percent, plus taxes", MarginParams),
        PriceRuleType("profit", "BigBuy profit", "cost / (1 - percent), plus taxes", ProfitParams),
    )
}


def _up_to_ending(ending: Decimal) -> Callable[[Decimal], Decimal]:
    def up(price: Decimal) -> Decimal:
        candidate = price.to_integral_value(rounding=ROUND_FLOOR) + ending
        return candidate if candidate >= price else candidate + ONE

    return up


def _up_to_whole(price: Decimal) -> Decimal:
    return price.to_integral_value(rounding=ROUND_CEILING).quantize(CENT)


ROUND_UP: dict[str, Callable[[Decimal], Decimal]] = {
    "whole": _up_to_whole,
    "0.99": _up_to_ending(Decimal("0.99")),
    "0.49": _up_to_ending(Decimal("0.49")),
}
"""Each rounding's function: the smallest price >= the given one with that ending."""


def round_up_to(price: Decimal, rounding: str) -> Decimal:
    """The smallest price >= ``price`` with the requested ending (cents already applied)."""
    return price if rounding == "none" else ROUND_UP[rounding](price)


Compute = Callable[[PricedProduct], Decimal | None]


def _compute(params: BaseModel) -> Compute | None:
    """The raw price of a product under these params, or None when it lacks what they need."""
    if isinstance(params, PercentParams | FixedParams):
        use_cost = params.base == "cost"
        if isinstance(params, PercentParams):
            factor = ONE + params.percent / HUNDRED

            def adjust(base: Decimal) -> Decimal:
                return base * factor
        else:
            amount = params.amount

            def adjust(base: Decimal) -> Decimal:
                return base + amount

        def on_base(product: PricedProduct) -> Decimal | None:
            base = product.cost if use_cost else product.rrp
            return None if base is None else adjust(base)

        return on_base
    if isinstance(params, MarginParams | ProfitParams):
        taxes = ONE + params.tax_percent / HUNDRED
        if isinstance(params, MarginParams):
            factor = (ONE + params.percent / HUNDRED) * taxes
        else:
            factor = taxes / (ONE - params.percent / HUNDRED)

        def on_cost(product: PricedProduct) -> Decimal | None:
            cost = product.cost
            return None if cost is None else cost * factor

        return on_cost
    return None


def formula(params: BaseModel) -> PriceFormula | None:
    """Compile validated params of one of these types; None for another plugin's types."""
    compute = _compute(params)
    if compute is None:
        return None
    rounding = getattr(params, "rounding", "none")
    return PriceFormula(compute, None if rounding == "none" else ROUND_UP[rounding])
